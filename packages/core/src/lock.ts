// The public Lock: acquire, tryAcquire, withLock and inspect for one name.
import type { LimiterKind } from './diagnostics/channels.js';
import type { Lease } from './lease.js';
import { type Grant, LimiterBase } from './limiter.js';
import type { LockEngine, LockState } from './lock-engine.js';
import { ACQUIRE_OPTION_NAMES, type AcquireOptions, type TryAcquireOptions } from './options.js';

/**
 * A distributed mutex for one name, created by `lockstep.lock(name, options)`. Waiters are served
 * in arrival order: a release hands the lock straight to the oldest live waiter, as a 1 s claim
 * that the waiter's lease turns into its TTL with its first extension (so a waiter that died keeps
 * it for one claim window at most).
 */
export class Lock extends LimiterBase<AcquireOptions, TryAcquireOptions> {
  /** Always `'lock'` (also in quorum mode). */
  readonly kind: LimiterKind = 'lock';
  protected readonly optionNames = ACQUIRE_OPTION_NAMES;
  readonly #engine: LockEngine;
  readonly #grant: Grant = (request) => this.#engine.acquire(request);

  /** @internal Created by `lockstep.lock()`. */
  constructor(name: string, engine: LockEngine) {
    super(name);
    this.#engine = engine;
  }

  protected prepare(): Grant {
    return this.#grant;
  }

  /**
   * Acquires the lock, runs `fn` with the lease (auto-extended by default) and releases it: the
   * friendly name of {@link Lock.withLease}. If `fn` resolved and only the release fails (Redis
   * unreachable), it resolves with `fn`'s result (the work was done under the lease) and the failure
   * (`ERR_REDIS`) goes to the Lockstep's `onError`; the lease expires by its TTL.
   *
   * @param fn - the critical section
   * @param options - as for {@link Lock.acquire}; `autoExtend` defaults to true
   */
  withLock<T>(fn: (lease: Lease) => Promise<T> | T, options?: AcquireOptions): Promise<T> {
    return this.withLease(fn, options);
  }

  /** Who holds the lock, for how long, and how many wait. */
  async inspect(): Promise<LockState> {
    return await this.#engine.inspect();
  }
}
