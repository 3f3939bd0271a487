// The mailbox of one waiting acquisition: a pushed grant message (or a "re-check now" poke) and
// the timer-or-abort sleep it cuts short.
import { onAbort } from '../util/abort.js';

/** Holds a pushed message and wakes the loop for it. */
export class Waiter {
  #pending: string | null | undefined;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** A grant message, or `null` for "re-check now". A real message is never overwritten by null. */
  push(message: string | null): void {
    if (message !== null || this.#pending === undefined) this.#pending = message;
    this.#wake?.();
  }

  /** The message received, if any (undefined when none, or when only a re-check was requested). */
  take(): string | undefined {
    const message = this.#pending;
    this.#pending = undefined;
    return message ?? undefined;
  }

  wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#pending !== undefined || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#wake = undefined;
        stopWatching?.();
        resolve();
      };
      this.#wake = done;
      this.#timer = setTimeout(done, Math.max(0, ms));
      const stopWatching = signal ? onAbort(signal, done) : undefined;
    });
  }

  dispose(): void {
    this.#wake?.();
  }
}
