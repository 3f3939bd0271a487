// The public Lock: acquire, tryAcquire, withLock and inspect for one name.

import type { AdoptOptions } from '../adopt/adopt-lease.js';
import type { LimiterKind } from '../diagnostics/channels.js';
import type { Lease, LeaseHandle } from '../lease/lease.js';
import { ACQUIRE_OPTION_NAMES, type AcquireOptions, type TryAcquireOptions } from '../limiter/acquire-options.js';
import { type Grant, LimiterBase } from '../limiter/limiter.js';
import type { LockEngine, LockState } from './lock-engine.js';

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

  /**
   * Adopts a lease another process exported with `lease.toJSON()` (an HTTP handler takes the lock,
   * a worker finishes the job and releases it). It first asks Redis, by extending the lease to this
   * lock's `ttlMs` under the handle's token, whether the token still holds; only then does it
   * return a Lease, which extends, releases and signals as usual. The handle is a bearer secret:
   * whoever has it holds the lock, so treat it like a password.
   *
   * @param handle - what `lease.toJSON()` returned (parsed back from JSON is fine)
   * @param options - `autoExtend` (default false), `onLost`
   * @throws {@link LeaseLostError} `ERR_LEASE_LOST` if the handle is stale (expired, released, taken)
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a malformed handle or another name
   * @example
   * ```ts
   * const handle = lease.toJSON(); // send it to the worker over a trusted channel
   * const adopted = await lockstep.lock('job:7').adopt(handle);
   * await adopted.release();
   * ```
   */
  async adopt(handle: LeaseHandle, options?: AdoptOptions): Promise<Lease> {
    return await this.#engine.adopt(handle, options);
  }

  /** Who holds the lock, for how long, and how many wait. */
  async inspect(): Promise<LockState> {
    return await this.#engine.inspect();
  }
}
