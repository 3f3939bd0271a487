// One surface for locks and semaphores: acquire, tryAcquire and withLease, implemented once.

import type { LimiterKind } from '../diagnostics/channels.js';
import { traceAcquire } from '../diagnostics/trace-acquire.js';
import { InvalidArgumentError } from '../errors.js';
import type { Lease } from '../lease/lease.js';
import type { AcquireRequest } from '../waiting/contender.js';
import {
  type AcquireOptions,
  assertNoWait,
  DEFAULT_ACQUIRE_OPTIONS,
  resolveAcquireOptions,
  type TryAcquireOptions,
} from './acquire-options.js';
import { runWithLease } from './with-lease.js';

/**
 * Something that gives leases: a {@link Lock} (also in quorum mode) or a {@link Semaphore}.
 * Integrations take a `Limiter` and never branch on the kind.
 *
 * @typeParam A - options of `acquire()` and `withLease()`
 * @typeParam T - options of `tryAcquire()`
 */
export interface Limiter<A extends AcquireOptions = AcquireOptions, T extends TryAcquireOptions = TryAcquireOptions> {
  /** The lock or semaphore name. */
  readonly name: string;
  /** `'lock'` or `'semaphore'`. */
  readonly kind: LimiterKind;
  /**
   * Waits up to `waitMs` and returns a lease.
   * @throws `ERR_ACQUIRE_TIMEOUT`, `ERR_ABORTED`, `ERR_QUEUE_FULL`, `ERR_REDIS`, `ERR_QUORUM`
   */
  acquire(options?: A): Promise<Lease>;
  /** Takes a lease if one is free right now (and nobody is queued ahead); never waits. `null` if not. */
  tryAcquire(options?: T): Promise<Lease | null>;
  /**
   * Acquires, runs `fn(lease)` (auto-extended by default) and releases. Rejects with
   * `ERR_LEASE_LOST` if the lease was lost while `fn` ran, even if `fn` resolved.
   */
  withLease<R>(fn: (lease: Lease) => Promise<R> | R, options?: A): Promise<R>;
}

/** @internal One acquisition, after the kind-specific options were validated. */
export type Grant = (request: AcquireRequest) => Promise<Lease | null>;

const ACQUIRE = { ...DEFAULT_ACQUIRE_OPTIONS, orNull: false };
const TRY = { waitMs: 0, autoExtend: false, orNull: true };
const WITH = { ...DEFAULT_ACQUIRE_OPTIONS, autoExtend: true, orNull: false };

/**
 * @internal The shared base of {@link Lock} and {@link Semaphore}: validates the common options and
 * traces every acquisition; a subclass only validates its own options and starts the grant.
 */
export abstract class LimiterBase<A extends AcquireOptions, T extends TryAcquireOptions> implements Limiter<A, T> {
  /** `'lock'` or `'semaphore'`. */
  abstract readonly kind: LimiterKind;

  constructor(
    /** The lock or semaphore name. */
    readonly name: string,
  ) {}

  /** Every option name the kind's acquisitions accept (unknown names are errors). */
  protected abstract readonly optionNames: readonly string[];

  /** Validates the kind's own options (before the common ones) and returns how to grant. */
  protected abstract prepare(options: A | T | undefined): Grant;

  /**
   * Waits for up to `waitMs` and returns a lease.
   *
   * @param options - `waitMs`, `signal`, `autoExtend`, `onLost` (and `priority`, `weight` for semaphores)
   * @throws {@link AcquireTimeoutError} `ERR_ACQUIRE_TIMEOUT` if others held it the whole time
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be used
   * @throws `ERR_ABORTED` if `signal` aborted; `ERR_QUEUE_FULL` past `maxWaiters`
   * @example
   * ```ts
   * await using lease = await lockstep.lock('invoice:42').acquire({ waitMs: 5_000 });
   * await db.query('UPDATE invoices SET paid = true, fence = $1 WHERE id = 42 AND fence < $1', [lease.fence]);
   * ```
   */
  acquire(options?: A): Promise<Lease> {
    // Not async: the grant's promise is returned as is (one microtask sooner); bad options still
    // reject rather than throw.
    try {
      const grant = this.prepare(options);
      return this.#run(grant, resolveAcquireOptions(options, ACQUIRE, this.optionNames)) as Promise<Lease>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Takes a lease if one is free right now and nobody is queued ahead; never waits.
   *
   * @returns the lease, or `null` if none is free
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be used (never `null`)
   */
  async tryAcquire(options?: T): Promise<Lease | null> {
    assertNoWait(options);
    const grant = this.prepare(options);
    return await this.#run(grant, resolveAcquireOptions(options, TRY, this.optionNames));
  }

  /**
   * Acquires, runs `fn` with the lease (auto-extended by default) and releases it. If the lease is
   * lost while `fn` runs, `lease.signal` aborts, and this rejects with `ERR_LEASE_LOST` even if `fn`
   * resolved.
   *
   * @param fn - the critical section
   * @param options - as for `acquire()`; `autoExtend` defaults to true
   */
  async withLease<R>(fn: (lease: Lease) => Promise<R> | R, options?: A): Promise<R> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('Expected `fn` to be a function');
    const grant = this.prepare(options);
    const lease = (await this.#run(grant, resolveAcquireOptions(options, WITH, this.optionNames))) as Lease;
    return await runWithLease(lease, fn);
  }

  #run(grant: Grant, request: AcquireRequest): Promise<Lease | null> {
    return traceAcquire(this.kind, this.name, request, grant);
  }
}
