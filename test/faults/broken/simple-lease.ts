// The client half the broken variants share: a validity window on the monotonic clock, and a
// signal that aborts when it runs out. Only the Redis side (or one client step) of each variant
// is wrong, so the checker's finding can be pinned on that one bug.
import { LeaseLostError, type LostCallback } from '../../../packages/core/src/index.js';
import type { HeldLease } from '../worker/impl.js';

/** What a variant plugs into {@link SimpleLease}. */
export interface SimpleLeaseOps {
  /** Extends on the server; resolves false when the lease is no longer held there. */
  extend(ttlMs: number): Promise<boolean>;
  /** Releases on the server. */
  release(): Promise<boolean>;
}

/** A lease of a broken variant. `checkLocally: false` skips the local validity check before extending. */
export class SimpleLease implements HeldLease {
  readonly #controller = new AbortController();
  #validUntil: number;
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(
    readonly name: string,
    readonly fence: number | undefined,
    validUntil: number,
    private readonly ttlMs: number,
    private readonly ops: SimpleLeaseOps,
    private readonly onLost: LostCallback,
    private readonly checkLocally = true,
  ) {
    this.#validUntil = validUntil;
    this.#schedule();
  }

  get remainingMs(): number {
    return this.#done ? 0 : Math.max(0, this.#validUntil - performance.now());
  }

  get held(): boolean {
    if (!this.#done && performance.now() >= this.#validUntil) this.#lose();
    return !this.#done;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  async extend(ttlMs: number = this.ttlMs): Promise<void> {
    if (this.checkLocally && !this.held) throw new LeaseLostError(this.name, 'expired');
    const started = performance.now();
    if (!(await this.ops.extend(ttlMs))) {
      this.#lose();
      throw new LeaseLostError(this.name, 'not-held');
    }
    this.#validUntil = started + ttlMs - Math.floor(ttlMs * 0.01) - 2;
    this.#done = false;
    this.#schedule();
  }

  async release(): Promise<boolean> {
    const wasHeld = !this.#done;
    this.#done = true;
    clearTimeout(this.#timer);
    return (await this.ops.release()) && wasHeld;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    // A timer may fire a fraction of a millisecond early: check again rather than miss the loss.
    this.#timer = setTimeout(
      () => {
        if (this.held) this.#schedule();
      },
      Math.max(0, this.#validUntil - performance.now()),
    );
    this.#timer.unref();
  }

  #lose(): void {
    if (this.#done) return;
    this.#done = true;
    const error = new LeaseLostError(this.name, 'expired');
    this.#controller.abort(error);
    void this.onLost(error);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Validity a correct client would promise for an attempt sent at `sent` with `remainingMs` left. */
export function validityFrom(sent: number, remainingMs: number, ttlMs: number): number {
  return sent + remainingMs - Math.floor(ttlMs * 0.01) - 2;
}
