// Caps the number of node requests in flight at once for one Lockstep in quorum mode.

/** A FIFO counting limiter for local async work. */
export class InFlightLimiter {
  #active = 0;
  readonly #queue: (() => void)[] = [];

  /** @param max - most tasks running at once */
  constructor(private readonly max: number) {}

  /** Runs `task` when a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.max) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
