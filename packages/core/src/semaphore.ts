// The public Semaphore: N weighted permits, waiters served by priority then arrival order.
import type { AcquireRuntime } from './acquire.js';
import { InvalidArgumentError } from './errors.js';
import type { Lease } from './lease.js';
import { DEFAULT_ACQUIRE_OPTIONS, resolveAcquireOptions } from './options.js';
import { bounded } from './request.js';
import type { RedisClient } from './scripts.js';
import { runScript } from './scripts.js';
import { SemaphoreEngine } from './semaphore-engine.js';
import {
  MAX_LIMIT,
  type ResolvedSemaphoreOptions,
  resolvePriority,
  SEMAPHORE_ACQUIRE_OPTION_NAMES,
  type SemaphoreAcquireOptions,
  type SemaphoreTryAcquireOptions,
} from './semaphore-options.js';
import { checkInteger } from './validate.js';
import { runWithLease } from './with-lease.js';

const INSPECT_LIMIT = 1_000;

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

/**
 * A distributed counting semaphore with `limit` weighted permits, created by
 * `lockstep.semaphore(name, options)`. Freed permits are handed to the best waiter (highest
 * priority, then oldest) inside the script that frees them; permits of dead processes come back
 * within their TTL, and dead waiters are purged. Permits handed to a waiter from the queue are a
 * 1 s claim until its lease's first extension, so a waiter that died holds them for one claim
 * window at most.
 */
export class Semaphore {
  readonly #engine: SemaphoreEngine;
  readonly #options: ResolvedSemaphoreOptions;

  /** @internal Created by `lockstep.semaphore()`. */
  constructor(
    /** The semaphore name. */
    readonly name: string,
    prefix: string,
    options: ResolvedSemaphoreOptions,
    client: RedisClient,
    runtime: AcquireRuntime,
  ) {
    this.#options = options;
    this.#engine = new SemaphoreEngine(name, prefix, { ...options }, client, runtime);
  }

  /** The limit this instance uses (updated by {@link Semaphore.setLimit}). */
  get limit(): number {
    return this.#engine.settings.limit;
  }

  #permit(options: SemaphoreAcquireOptions | undefined): { weight: number; priority: number } {
    const weight = checkInteger('weight', options?.weight === undefined ? 1 : options.weight, 1, MAX_LIMIT);
    if (weight > this.limit) {
      throw new InvalidArgumentError(`Expected \`weight\` to be at most the limit ${this.limit}, got ${weight}`);
    }
    const priority =
      options?.priority === undefined
        ? this.#options.defaultPriority
        : resolvePriority(options.priority, this.#options.classes);
    return { weight, priority };
  }

  /**
   * Waits up to `waitMs` for `weight` permits and returns them as one lease.
   *
   * @param options - `priority`, `weight`, `waitMs`, `signal`, `autoExtend`, `onLost`
   * @throws {@link AcquireTimeoutError} `ERR_ACQUIRE_TIMEOUT` if no permits came free in time
   * @throws {@link QueueFullError} `ERR_QUEUE_FULL` past `maxWaiters`
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be used
   * @example
   * ```ts
   * const permit = await sem.acquire({ priority: 'critical', waitMs: 30_000 });
   * try { await exportReport(permit.signal); } finally { await permit.release(); }
   * ```
   */
  async acquire(options?: SemaphoreAcquireOptions): Promise<Lease> {
    const permit = this.#permit(options);
    const request = resolveAcquireOptions(
      options,
      { ...DEFAULT_ACQUIRE_OPTIONS, orNull: false },
      SEMAPHORE_ACQUIRE_OPTION_NAMES,
    );
    return (await this.#engine.acquire(permit, request)) as Lease;
  }

  /**
   * Takes the permits if they are free right now and nobody better is queued; never waits.
   *
   * @returns the lease, or `null` if not enough permits are free
   */
  async tryAcquire(options?: SemaphoreTryAcquireOptions): Promise<Lease | null> {
    if (options && 'waitMs' in options) {
      throw new InvalidArgumentError('`tryAcquire()` never waits: pass `waitMs` to `acquire()` instead');
    }
    const permit = this.#permit(options);
    const request = resolveAcquireOptions(
      options,
      { waitMs: 0, autoExtend: false, orNull: true },
      SEMAPHORE_ACQUIRE_OPTION_NAMES,
    );
    return await this.#engine.acquire(permit, request);
  }

  /**
   * Acquires permits, runs `fn` with the lease (auto-extended by default) and releases them. If the
   * lease is lost while `fn` runs, `permit.signal` aborts and `withPermit` rejects with
   * `ERR_LEASE_LOST`. If only the release fails, it resolves with `fn`'s result and reports the
   * failure (`ERR_REDIS`) through `onError`, as {@link Lock.withLock} does.
   */
  async withPermit<T>(fn: (permit: Lease) => Promise<T> | T, options?: SemaphoreAcquireOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('Expected `fn` to be a function');
    const permit = this.#permit(options);
    const request = resolveAcquireOptions(
      options,
      { ...DEFAULT_ACQUIRE_OPTIONS, autoExtend: true, orNull: false },
      SEMAPHORE_ACQUIRE_OPTION_NAMES,
    );
    const lease = (await this.#engine.acquire(permit, request)) as Lease;
    return await runWithLease(lease, fn);
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
    const e = this.#engine;
    await bounded(
      runScript(e.client, 'semSetLimit', e.keys, [limit]),
      `setting the limit of "${this.name}"`,
      e.runtime.requestTimeoutMs,
    );
    e.settings.limit = limit;
  }

  /** Limit, permits in use, holders and waiters, in one consistent snapshot. */
  async inspect(): Promise<SemaphoreState> {
    const e = this.#engine;
    const reply = (await bounded(
      runScript(e.client, 'semInspect', e.keys.slice(0, 4), [e.settings.limit, INSPECT_LIMIT]),
      `inspecting "${this.name}"`,
      e.runtime.requestTimeoutMs,
    )) as [number, number, number, (string | number)[], (string | number)[], number];
    const [, limit, used, flatHolders, flatWaiters, waiting] = reply;
    const names = new Map([...this.#options.classes].map(([name, value]) => [value, name]));
    const holders: SemaphoreHolder[] = [];
    for (let i = 0; i < flatHolders.length; i += 4) {
      holders.push({
        fence: Number(flatHolders[i]),
        weight: Number(flatHolders[i + 1]),
        expiresAt: Number(flatHolders[i + 2]),
        since: Number(flatHolders[i + 3]),
      });
    }
    const waiters: SemaphoreWaiter[] = [];
    for (let i = 0; i < flatWaiters.length; i += 4) {
      const priority = Number(flatWaiters[i]);
      waiters.push({
        priority,
        priorityName: names.get(priority),
        weight: Number(flatWaiters[i + 1]),
        since: Number(flatWaiters[i + 2]),
        aliveUntil: Number(flatWaiters[i + 3]),
      });
    }
    return { limit: Number(limit), used: Number(used), holders, waiters, waiting: Number(waiting) };
  }
}
