// Several names locked together (`lockstep.lockAll`): taken one by one in a canonical order, so two
// callers listing the same names in any order cannot deadlock; all or nothing.

import { AcquireTimeoutError, InvalidArgumentError, isLockstepError, type LeaseLostError } from '../errors.js';
import { type Lease, type LostCallback, REPORT, SET_AUTO_EXTEND } from '../lease/lease.js';
import {
  type AcquireOptions,
  assertNoWait,
  DEFAULT_ACQUIRE_OPTIONS,
  resolveAcquireOptions,
  type TryAcquireOptions,
} from '../limiter/acquire-options.js';
import { runWithLease } from '../limiter/with-lease.js';
import type { Lock } from '../lock/lock.js';
import { monotonicNow } from '../util/clock.js';
import { describe } from '../util/validate.js';
import { MultiLease } from './multi-lease.js';

/** Most names one `lockAll` may take. */
export const MAX_LOCK_ALL_NAMES = 1_000;

/** A lease taken early with less than this share of the last one's window left is extended at the end. */
const REALIGN_SHARE = 0.9;

/** Throws unless `names` is a non-empty array of distinct strings (each checked by `lock()`). */
export function checkNames(names: unknown): readonly string[] {
  if (!Array.isArray(names) || names.length === 0 || names.length > MAX_LOCK_ALL_NAMES) {
    throw new InvalidArgumentError(
      `Expected \`names\` to be an array of 1 to ${MAX_LOCK_ALL_NAMES} names, got ${describe(names)}`,
    );
  }
  const seen = new Set<unknown>();
  for (const name of names) {
    if (seen.has(name))
      throw new InvalidArgumentError(`Expected \`names\` to be distinct, got ${describe(name)} twice`);
    seen.add(name);
  }
  return names as string[];
}

/** The `lockAll()` of both backends: checks `names`, then one lock per name from `lock`. */
export function lockAllWith(names: readonly string[], lock: (name: string) => Lock): MultiLock {
  const checked = checkNames(names);
  return new MultiLock(checked, checked.map(lock));
}

/** The canonical order every process takes names in: by UTF-16 code units, like `Array.sort()`. */
export function canonicalOrder(names: readonly string[]): number[] {
  return names.map((_, i) => i).sort((a, b) => ((names[a] as string) < (names[b] as string) ? -1 : 1));
}

/**
 * Several locks taken together, created by `lockstep.lockAll(names, options)` (node-redlock's
 * `acquire(['a', 'b'])`). Names are taken one at a time in one canonical order (sorted), whatever
 * order the caller lists them in: two callers asking for `[a, b]` and `[b, a]` never wait on each
 * other in a cycle. Each name keeps its own FIFO queue, fence and TTL, on a single Redis, a Cluster
 * (names in different slots) or quorum servers alike. A timeout, abort or error part way gives back
 * every name already taken.
 */
export class MultiLock {
  /** The names, in the order given. */
  readonly names: readonly string[];
  readonly #locks: readonly Lock[];
  readonly #order: readonly number[];

  /** @internal Created by `lockstep.lockAll()`. */
  constructor(names: readonly string[], locks: readonly Lock[]) {
    this.names = Object.freeze([...names]);
    this.#locks = locks;
    this.#order = canonicalOrder(names);
  }

  /**
   * Waits up to `waitMs` in all for every name and returns their joint lease. Leases taken early
   * are kept alive while the later ones are awaited, and realigned to a full TTL at the end.
   *
   * @param options - `waitMs` (for all names together), `signal`, `autoExtend`, `onLost` (called
   *   once, for the first lease lost)
   * @throws {@link AcquireTimeoutError} `ERR_ACQUIRE_TIMEOUT` naming the first name others held
   * @throws `ERR_ABORTED`, `ERR_REDIS`, `ERR_QUORUM`, `ERR_QUEUE_FULL` as {@link Lock.acquire} does
   * @example
   * ```ts
   * await using lease = await lockstep.lockAll(['account:17', 'account:42']).acquire({ waitMs: 5_000 });
   * await transfer(17, 42, amount, { fences: lease.fences, signal: lease.signal });
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<MultiLease> {
    const request = resolveAcquireOptions(options, { ...DEFAULT_ACQUIRE_OPTIONS, orNull: false });
    return (await this.#take(request, false)) as MultiLease;
  }

  /**
   * Takes every name if each is free right now; never waits.
   *
   * @returns the joint lease, or `null` if any name is held (nothing is kept)
   */
  async tryAcquire(options?: TryAcquireOptions): Promise<MultiLease | null> {
    assertNoWait(options);
    const request = resolveAcquireOptions(options, { waitMs: 0, autoExtend: false, orNull: true });
    return await this.#take(request, true);
  }

  /**
   * Acquires every name, runs `fn` with the joint lease (auto-extended by default) and releases it.
   * Rejects with `ERR_LEASE_LOST` if any lease was lost while `fn` ran, as {@link Lock.withLock}.
   */
  async withLock<T>(fn: (lease: MultiLease) => Promise<T> | T, options?: AcquireOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('Expected `fn` to be a function');
    const request = resolveAcquireOptions(options, { ...DEFAULT_ACQUIRE_OPTIONS, autoExtend: true, orNull: false });
    const lease = (await this.#take(request, false)) as MultiLease;
    return await runWithLease(lease, fn);
  }

  async #take(request: ReturnType<typeof resolveAcquireOptions>, tryOnly: boolean): Promise<MultiLease | null> {
    const started = monotonicNow();
    const deadline = started + request.waitMs;
    let ready = false;
    let lostReported = false;
    const onLost: LostCallback = (error) => {
      if (!ready || lostReported || !request.onLost) return;
      lostReported = true;
      return request.onLost(error);
    };
    const leases: Lease[] = new Array(this.names.length);
    const taken: Lease[] = [];
    try {
      for (const i of this.#order) {
        const lock = this.#locks[i] as Lock;
        // Auto-extended while the later names are awaited, so an early lease cannot lapse meanwhile.
        const each = { signal: request.signal, onLost } as const;
        const lease = tryOnly
          ? await lock.tryAcquire(
              request.signal ? { signal: request.signal, autoExtend: true, onLost } : { autoExtend: true, onLost },
            )
          : await this.#acquireOne(lock, each, deadline, request.waitMs);
        if (lease === null) {
          await this.#giveBack(taken);
          return null;
        }
        leases[i] = lease;
        taken.push(lease);
      }
      await this.#realign(taken, request.autoExtend);
      ready = true;
      return new MultiLease(this.names, leases);
    } catch (err) {
      await this.#giveBack(taken);
      throw err;
    }
  }

  async #acquireOne(
    lock: Lock,
    each: { readonly signal: AbortSignal | undefined; readonly onLost: LostCallback },
    deadline: number,
    waitMs: number,
  ): Promise<Lease> {
    const left = Math.max(0, Math.ceil(deadline - monotonicNow()));
    const options: AcquireOptions = each.signal
      ? { waitMs: left, signal: each.signal, autoExtend: true, onLost: each.onLost }
      : { waitMs: left, autoExtend: true, onLost: each.onLost };
    try {
      return await lock.acquire(options);
    } catch (err) {
      // The whole call waited `waitMs`, whichever name ended it.
      if (isLockstepError(err, 'ERR_ACQUIRE_TIMEOUT')) {
        throw new AcquireTimeoutError(lock.name, waitMs, { cause: err });
      }
      throw err;
    }
  }

  // Leases taken early get a full TTL again (so the joint window starts now), and auto-extension
  // is switched off again unless the caller asked for it.
  async #realign(taken: readonly Lease[], autoExtend: boolean): Promise<void> {
    for (const lease of taken) {
      if (!lease.held) throw lease.lostError as LeaseLostError;
    }
    if (autoExtend) return;
    // The lease taken last is fresh: its window is the yardstick for the others.
    const fresh = (taken[taken.length - 1] as Lease).remainingMs;
    const early = taken.slice(0, -1).filter((lease) => lease.remainingMs < REALIGN_SHARE * fresh);
    if (early.length > 0) await Promise.all(early.map((lease) => lease.extend()));
    for (const lease of taken) lease[SET_AUTO_EXTEND](false);
  }

  async #giveBack(taken: readonly Lease[]): Promise<void> {
    const results = await Promise.allSettled(taken.map((lease) => lease.release()));
    for (const r of results) {
      if (r.status === 'rejected') taken[0]?.[REPORT](r.reason);
    }
  }
}
