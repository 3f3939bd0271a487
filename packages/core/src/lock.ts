// The public Lock: acquire, tryAcquire, withLock and inspect for one name.
import { InvalidArgumentError } from './errors.js';
import type { Lease } from './lease.js';
import type { LockEngine, LockState } from './lock-engine.js';
import {
  type AcquireOptions,
  DEFAULT_ACQUIRE_OPTIONS,
  resolveAcquireOptions,
  type TryAcquireOptions,
} from './options.js';
import { runWithLease } from './with-lease.js';

/**
 * A distributed mutex for one name, created by `lockstep.lock(name, options)`. Waiters are served
 * in arrival order: a release hands the lock straight to the oldest live waiter, as a 1 s claim
 * that the waiter's lease turns into its TTL with its first extension (so a waiter that died keeps
 * it for one claim window at most).
 */
export class Lock {
  readonly #engine: LockEngine;

  /** @internal Created by `lockstep.lock()`. */
  constructor(
    /** The lock name. */
    readonly name: string,
    engine: LockEngine,
  ) {
    this.#engine = engine;
  }

  /**
   * Waits for the lock for up to `waitMs` and returns its lease.
   *
   * @param options - `waitMs`, `signal`, `autoExtend`, `onLost`
   * @throws {@link AcquireTimeoutError} `ERR_ACQUIRE_TIMEOUT` if others held it the whole time
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be used
   * @throws `ERR_ABORTED` if `signal` aborted; `ERR_QUEUE_FULL` past `maxWaiters`
   * @example
   * ```ts
   * await using lease = await lockstep.lock('invoice:42').acquire({ waitMs: 5_000 });
   * await db.query('UPDATE invoices SET paid = true, fence = $1 WHERE id = 42 AND fence < $1', [lease.fence]);
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    const request = resolveAcquireOptions(options, { ...DEFAULT_ACQUIRE_OPTIONS, orNull: false });
    return (await this.#engine.acquire(request)) as Lease;
  }

  /**
   * Takes the lock if it is free right now (and nobody is queued for it); never waits.
   *
   * @returns the lease, or `null` if the lock is held
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be used (never `null`)
   */
  async tryAcquire(options?: TryAcquireOptions): Promise<Lease | null> {
    if (options && 'waitMs' in options) {
      throw new InvalidArgumentError('`tryAcquire()` never waits: pass `waitMs` to `acquire()` instead');
    }
    const request = resolveAcquireOptions(options, { waitMs: 0, autoExtend: false, orNull: true });
    return await this.#engine.acquire(request);
  }

  /**
   * Acquires the lock, runs `fn` with the lease (auto-extended by default) and releases it. If the
   * lease is lost while `fn` runs, `lease.signal` aborts, and `withLock` rejects with
   * `ERR_LEASE_LOST` even if `fn` resolved. If `fn` resolved and only the release fails (Redis
   * unreachable), `withLock` resolves with `fn`'s result (the work was done under the lease) and
   * the failure (`ERR_REDIS`) goes to the Lockstep's `onError`; the lease expires by its TTL.
   *
   * @param fn - the critical section
   * @param options - as for {@link Lock.acquire}; `autoExtend` defaults to true
   */
  async withLock<T>(fn: (lease: Lease) => Promise<T> | T, options?: AcquireOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('Expected `fn` to be a function');
    const request = resolveAcquireOptions(options, { ...DEFAULT_ACQUIRE_OPTIONS, autoExtend: true, orNull: false });
    const lease = (await this.#engine.acquire(request)) as Lease;
    return await runWithLease(lease, fn);
  }

  /** Who holds the lock, for how long, and how many wait. */
  async inspect(): Promise<LockState> {
    return await this.#engine.inspect();
  }
}
