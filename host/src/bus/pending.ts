// Requests waiting for their answers, by id: what every socket client of the host shares (the
// register bus and the primary's control protocol over newline JSON, the binary frame port).
// Ids run 1..2^32-1 and then start again at 1, so they fit the frame port's u32 and 0 stays
// free for fire-and-forget messages.

interface Waiting<T> {
  resolve(value: T): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

const MAX_ID = 0xffffffff;

export class PendingRequests<T> {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting<T>>();
  private refusal?: Error;

  /** Whether new requests are refused (refuse() or failAll() happened). */
  get closed(): boolean {
    return this.refusal !== undefined;
  }

  /** The error new requests get, once closed. */
  get closedError(): Error | undefined {
    return this.refusal;
  }

  /**
   * A request under a fresh id: send(id) writes it, and the promise settles with resolve(id),
   * reject(id), the timeout's error once `timeout.ms` passed without an answer (a late answer
   * is then ignored), or failAll(). Closed: rejects at once with the closing error.
   */
  request(send: (id: number) => void, timeout?: { ms: number; error: () => Error }): Promise<T> {
    if (this.refusal) return Promise.reject(this.refusal);
    const id = this.nextId;
    this.nextId = id >= MAX_ID ? 1 : id + 1;
    return new Promise<T>((resolve, reject) => {
      const w: Waiting<T> = { resolve, reject };
      if (timeout) {
        w.timer = setTimeout(() => {
          this.waiting.delete(id);
          reject(timeout.error());
        }, timeout.ms);
      }
      this.waiting.set(id, w);
      send(id);
    });
  }

  /** Answers request id; false when it is not waiting (unknown, timed out or answered). */
  resolve(id: number, value: T): boolean {
    const w = this.take(id);
    w?.resolve(value);
    return w !== undefined;
  }

  /** Fails request id; false when it is not waiting. */
  reject(id: number, err: Error): boolean {
    const w = this.take(id);
    w?.reject(err);
    return w !== undefined;
  }

  /** From now on new requests reject with err (the first refusal stays); those in flight still get their answers. */
  refuse(err: Error): void {
    this.refusal ??= err;
  }

  /** Rejects every request in flight with err, and refuses new ones (with err unless refused already). */
  failAll(err: Error): void {
    this.refuse(err);
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiting.clear();
  }

  private take(id: number): Waiting<T> | undefined {
    const w = this.waiting.get(id);
    if (!w) return undefined;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    return w;
  }
}
