// Jobs run one after another in the order they were handed in: the register-bus servers run
// requests one at a time, the primary its table changes.

export class Sequence {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;

  /** Jobs handed in so far: a job can tell whether another was queued behind it. */
  get handed(): number {
    return this.count;
  }

  /** Runs job once every job handed in before it has settled; a failed job does not stop the next. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.count++;
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Settles once every job handed in so far has. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
