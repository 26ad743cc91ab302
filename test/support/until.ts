/**
 * Waits until fn() gives something truthy and returns it, polling every few milliseconds; fails
 * naming `what` after timeoutMs. For waits on another process, a socket or a timer: a condition,
 * never a guessed sleep.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
