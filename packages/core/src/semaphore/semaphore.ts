// The public Semaphore: N weighted permits, waiters served by priority then arrival order.

import type { AdoptOptions } from '../adopt/adopt-lease.js';
import type { LimiterKind } from '../diagnostics/channels.js';
import { InvalidArgumentError } from '../errors.js';
import type { Lease, LeaseHandle } from '../lease/lease.js';
import { type Grant, LimiterBase } from '../limiter/limiter.js';
import { checkInteger } from '../util/validate.js';
import type { AcquireRequest } from '../waiting/contender.js';
import {
  MAX_LIMIT,
  type ResolvedSemaphoreOptions,
  resolvePriority,
  SEMAPHORE_ACQUIRE_OPTION_NAMES,
  type SemaphoreAcquireOptions,
  type SemaphoreTryAcquireOptions,
} from './semaphore-options.js';

/** One holder in {@link SemaphoreState}. */
export interface SemaphoreHolder {
  readonly fence: number;
  readonly weight: number;
  /** Lease deadline, epoch ms by the Redis server's clock. */
  readonly expiresAt: number;
  /** When it was granted, epoch ms by the Redis server's clock. */
  readonly since: number;
}

/** One queued waiter in {@link SemaphoreState}. */
export interface SemaphoreWaiter {
  readonly priority: number;
  /** The class name of `priority`, when the semaphore has named classes. */
  readonly priorityName: string | undefined;
  readonly weight: number;
  /** When it was queued, epoch ms by the Redis server's clock. */
  readonly since: number;
  /** Heartbeat deadline: it is purged after this unless it refreshes. */
  readonly aliveUntil: number;
}

/** A consistent snapshot of a semaphore, as `inspect()` returns it. Tokens are never exposed. */
export interface SemaphoreState {
  /** Limit in effect (a `setLimit()` value while one is stored). */
  readonly limit: number;
  /** Weighted permits held by live holders. */
  readonly used: number;
  /** Live holders, earliest expiry first. */
  readonly holders: readonly SemaphoreHolder[];
  /** Live waiters in service order (at most 1,000 listed). */
  readonly waiters: readonly SemaphoreWaiter[];
  /** All queued waiters, including dead ones not purged yet. */
  readonly waiting: number;
}

/** One acquisition's parameters. */
export interface PermitRequest {
  readonly weight: number;
  readonly priority: number;
}

/** @internal What a Semaphore delegates to: the Redis engine or the in-memory one. */
export interface SemaphoreBackend {
  /** The limit this instance uses. */
  readonly limit: number;
  acquire(permit: PermitRequest, request: AcquireRequest): Promise<Lease | null>;
  /** Stores a new limit for every user of the name, serves the waiters that now fit. */
  setLimit(limit: number): Promise<void>;
  inspect(): Promise<SemaphoreState>;
  /** Adopts exported permits after checking that their token still holds them. */
  adopt(handle: unknown, options?: AdoptOptions): Promise<Lease>;
}

/**
 * A distributed counting semaphore with `limit` weighted permits, created by
 * `lockstep.semaphore(name, options)`. Freed permits are handed to the best waiter (highest
 * priority, then oldest) inside the script that frees them; permits of dead processes come back
 * within their TTL, and dead waiters are purged. Permits handed to a waiter from the queue are a
 * 1 s claim until its lease's first extension, so a waiter that died holds them for one claim
 * window at most.
 */
export class Semaphore extends LimiterBase<SemaphoreAcquireOptions, SemaphoreTryAcquireOptions> {
  /** Always `'semaphore'`. */
  readonly kind: LimiterKind = 'semaphore';
  protected readonly optionNames = SEMAPHORE_ACQUIRE_OPTION_NAMES;
  readonly #engine: SemaphoreBackend;
  readonly #options: ResolvedSemaphoreOptions;

  /** @internal Created by `lockstep.semaphore()`. */
  constructor(name: string, options: ResolvedSemaphoreOptions, engine: SemaphoreBackend) {
    super(name);
    this.#options = options;
    this.#engine = engine;
  }

  /** The limit this instance uses (updated by {@link Semaphore.setLimit}). */
  get limit(): number {
    return this.#engine.limit;
  }

  protected prepare(options: SemaphoreAcquireOptions | undefined): Grant {
    const weight = checkInteger('weight', options?.weight === undefined ? 1 : options.weight, 1, MAX_LIMIT);
    if (weight > this.limit) {
      throw new InvalidArgumentError(`Expected \`weight\` to be at most the limit ${this.limit}, got ${weight}`);
    }
    const priority =
      options?.priority === undefined
        ? this.#options.defaultPriority
        : resolvePriority(options.priority, this.#options.classes);
    const permit = { weight, priority };
    return (request) => this.#engine.acquire(permit, request);
  }

  /**
   * Acquires permits, runs `fn` with the lease (auto-extended by default) and releases them: the
   * friendly name of {@link Semaphore.withLease}. If the lease is lost while `fn` runs,
   * `permit.signal` aborts and `withPermit` rejects with `ERR_LEASE_LOST`. If only the release fails, it
   * resolves with `fn`'s result and reports the failure (`ERR_REDIS`) through `onError`, as
   * {@link Lock.withLock} does.
   */
  withPermit<T>(fn: (permit: Lease) => Promise<T> | T, options?: SemaphoreAcquireOptions): Promise<T> {
    return this.withLease(fn, options);
  }

  /**
   * Adopts permits another process exported with `lease.toJSON()`, after checking with Redis (an
   * extension to this semaphore's `ttlMs` under the handle's token) that they are still held. The
   * handle is a bearer secret: treat it like a password.
   *
   * @param handle - what `lease.toJSON()` returned
   * @param options - `autoExtend` (default false), `onLost`
   * @throws {@link LeaseLostError} `ERR_LEASE_LOST` if the handle is stale
   */
  async adopt(handle: LeaseHandle, options?: AdoptOptions): Promise<Lease> {
    return await this.#engine.adopt(handle, options);
  }

  /**
   * Changes the limit for every process while the semaphore's keys live (they live while it has
   * holders or waiters), and for this instance from now on. Waiters that fit the new limit are served
   * at once; holders above a lowered limit keep their permits until they release.
   *
   * @param limit - the new limit, an integer >= 1
   */
  async setLimit(limit: number): Promise<void> {
    checkInteger('limit', limit, 1, MAX_LIMIT);
    await this.#engine.setLimit(limit);
  }

  /** Limit, permits in use, holders and waiters, in one consistent snapshot. */
  async inspect(): Promise<SemaphoreState> {
    return await this.#engine.inspect();
  }
}
