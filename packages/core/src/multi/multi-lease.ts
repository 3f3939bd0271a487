// The lease of several names at once: one Lease per name, one signal, one release.
import type { LeaseLostError } from '../errors.js';
import { type Lease, REPORT } from '../lease/lease.js';
import { checkInteger, MAX_TIMER_MS } from '../util/validate.js';

/**
 * Several locks held together, returned by `lockstep.lockAll(names).acquire()`. Each name has its
 * own {@link Lease} (its own window, fence and auto-extension); this object joins them: `signal`
 * aborts when any of them is lost, and `release()` gives every one back.
 *
 * Supports `await using lease = await lockstep.lockAll(names).acquire()`.
 */
export class MultiLease implements AsyncDisposable {
  /** The names, in the order given to `lockAll`. */
  readonly names: readonly string[];
  /** One lease per name, in the order given to `lockAll`. */
  readonly leases: readonly Lease[];
  readonly #signal: AbortSignal;

  /** @internal Created by `MultiLock.acquire()`. */
  constructor(names: readonly string[], leases: readonly Lease[]) {
    this.names = Object.freeze([...names]);
    this.leases = Object.freeze([...leases]);
    // AbortSignal.any() needs Node 20.3: join the signals by hand.
    const controller = new AbortController();
    for (const lease of this.leases) {
      const signal = lease.signal;
      if (signal.aborted) {
        controller.abort(signal.reason);
        break;
      }
      signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    }
    this.#signal = controller.signal;
  }

  /**
   * One fencing token per name, in the order given to `lockAll` (`undefined` entries in quorum
   * mode). Pass each to the resource it protects.
   */
  get fences(): readonly (number | undefined)[] {
    return this.leases.map((lease) => lease.fence);
  }

  /** Aborts (with the first {@link LeaseLostError} as reason) when any of the leases is lost. */
  get signal(): AbortSignal {
    for (const lease of this.leases) void lease.held;
    return this.#signal;
  }

  /** The first loss, once any lease was lost. */
  get lostError(): LeaseLostError | undefined {
    return this.#signal.aborted ? (this.#signal.reason as LeaseLostError) : undefined;
  }

  /** True while every lease is held. */
  get held(): boolean {
    return this.leases.every((lease) => lease.held);
  }

  /** End of the earliest window, epoch ms: all names are held until then. */
  get expiresAt(): number {
    return Math.min(...this.leases.map((lease) => lease.expiresAt));
  }

  /** Milliseconds until the earliest window ends (0 once any lease is lost). */
  get remainingMs(): number {
    return Math.min(...this.leases.map((lease) => lease.remainingMs));
  }

  /**
   * Extends every lease to `ttlMs` from now (default: each lease's TTL), all at once.
   *
   * @throws {@link LeaseLostError} `ERR_LEASE_LOST` if any is no longer held (the others stay held
   *   until released or expired: call {@link MultiLease.release})
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be asked
   */
  async extend(ttlMs?: number): Promise<void> {
    await this.#each((lease) => lease.extend(ttlMs));
  }

  /**
   * Releases every lease, all at once. Resolves true if this call released all of them, false if
   * any was no longer held.
   *
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be asked for some (they
   *   then expire with their TTL); the others are released
   */
  async release(): Promise<boolean> {
    return (await this.#each((lease) => lease.release())).every(Boolean);
  }

  /**
   * Leaves every name taken for `ms` from now, then lets each lease expire in Redis: the
   * {@link Lease.releaseAfter} of each lease, all at once.
   *
   * @param ms - how long from now the names stay taken, ms (10 to 2,147,483,647)
   * @returns true if every lease was held and now ends `ms` from now; false if any was no longer
   *   held (the others still end `ms` from now)
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a bad `ms`, before any I/O
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be asked for some (they
   *   stay as they were, held until their windows end); the others end `ms` from now
   */
  async releaseAfter(ms: number): Promise<boolean> {
    checkInteger('ms', ms, 10, MAX_TIMER_MS);
    return (await this.#each((lease) => lease.releaseAfter(ms))).every(Boolean);
  }

  // Runs `fn` on every lease at once; every call settles before the first failure is thrown.
  async #each<T>(fn: (lease: Lease) => Promise<T>): Promise<T[]> {
    const results = await Promise.allSettled(this.leases.map(fn));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return results.map((r) => (r as PromiseFulfilledResult<T>).value);
  }

  /** @internal Reports a background error through the owning Lockstep's `onError`. */
  [REPORT](error: unknown): void {
    this.leases[0]?.[REPORT](error);
  }

  /** Releases on scope exit (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
