// SIGINT and SIGTERM without an exit, so cleanup runs: for what runs until it is stopped
// (`sim serve`, `primary`, `monitor`, the cluster's adapter and demo servers) and for long
// steps that must stay interruptible (`cluster up`, `cluster demo`). A caller's own
// AbortSignal (tests, the CLI's io.signal) counts as the same request to stop.

/** Why a wait ended: 'SIGINT', 'SIGTERM', 'abort' (the caller's signal), or a reason given to stop(). */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'abort' | (string & {});

/**
 * An AbortSignal that aborts, with the reason 'SIGINT', 'SIGTERM' or 'abort', on SIGINT,
 * SIGTERM or when `parent` aborts (at once when it has already). Until done() the process does
 * not exit on those signals; done() removes the listeners, and may be called more than once.
 */
export function interruptSignal(parent?: AbortSignal): { signal: AbortSignal; done(): void } {
  const ac = new AbortController();
  const onInt = () => ac.abort('SIGINT');
  const onTerm = () => ac.abort('SIGTERM');
  const onAbort = () => ac.abort('abort');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  parent?.addEventListener('abort', onAbort);
  if (parent?.aborted) onAbort();
  return {
    signal: ac.signal,
    done() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Resolves with the reason on SIGINT, SIGTERM, `signal` aborting, or the first call of the
 * stop function handed to `stopWhen` (reason 'error' unless given); the listeners are gone
 * by then.
 */
export function untilStopped(o: { signal?: AbortSignal; stopWhen?: (stop: (why?: string) => void) => void } = {}): Promise<StopReason> {
  const intr = interruptSignal(o.signal);
  return new Promise((resolve) => {
    const stop = (why: StopReason) => {
      intr.done();
      resolve(why);
    };
    if (intr.signal.aborted) return stop(String(intr.signal.reason));
    intr.signal.addEventListener('abort', () => stop(String(intr.signal.reason)), { once: true });
    o.stopWhen?.((why = 'error') => stop(why));
  });
}
