// The shape of the host's named errors (BusError, ControlError, FramePortError, …): a class per
// subsystem whose `code` says what went wrong, a message for people, and the cause kept.

export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
