// The state of one lock or semaphore name in memory: holders with deadlines, waiters in service
// order (priority, then arrival, with optional aging), the fence, and baton passing on every change.
import { monotonicNow, unrefTimer } from '../util/clock.js';

/** A granted lease, by request id. Deadlines and times are on the monotonic clock. */
export interface MemoryHolder {
  readonly id: string;
  readonly token: string;
  readonly weight: number;
  readonly fence: number;
  readonly since: number;
  deadline: number;
}

/** A queued waiter; `grant` and `reject` settle its pending acquisition. */
export interface MemoryWaiter {
  readonly id: string;
  readonly token: string;
  readonly weight: number;
  readonly ttlMs: number;
  readonly priority: number;
  readonly score: number;
  readonly since: number;
  grant(fence: number, at: number): void;
  reject(limit: number): void;
}

/** One attempt's parameters, as the acquire scripts take them. */
export interface MemoryAttempt {
  readonly id: string;
  readonly token: string;
  readonly weight: number;
  readonly priority: number;
  readonly ttlMs: number;
  readonly agingMs: number;
  /** The caller's limit (a stored `setLimit()` value wins). */
  readonly limit: number;
  readonly wait: boolean;
  readonly maxWaiters: number;
}

/** What an attempt came to; `queued` means `enqueue` must be called with the waiter. */
export type MemoryAttemptResult =
  | { readonly kind: 'granted'; readonly fence: number; readonly at: number }
  | { readonly kind: 'queued'; readonly score: number; readonly since: number }
  | { readonly kind: 'busy' }
  | { readonly kind: 'full' }
  | { readonly kind: 'too-heavy'; readonly limit: number };

/** One name's queue, shared by every Lock or Semaphore object of that name in one MemoryLockstep. */
export class MemoryQueue {
  readonly holders = new Map<string, MemoryHolder>();
  readonly waiters: MemoryWaiter[] = [];
  /** A limit stored by `setLimit()`, kept while the name has holders or waiters. */
  stored: number | undefined;
  #fence = 0;
  #seq = 0;
  #lastSince = 0;
  #used = 0;
  /** The limit of the latest caller, used when a timer or a cancel passes permits on. */
  #limit = 1;
  #timer: NodeJS.Timeout | undefined;

  /** The limit in effect: a stored `setLimit()` value, else the latest caller's. */
  get limit(): number {
    return this.stored ?? this.#limit;
  }

  /** Stores a limit for every user of the name and serves (or rejects) the heads it changes. */
  setLimit(limit: number): void {
    this.stored = limit;
    this.#limit = limit;
    this.settle(limit, true);
    if (this.holders.size > 0 || this.waiters.length > 0) this.stored = limit;
  }

  /** Weighted permits held by live holders. */
  used(now = monotonicNow()): number {
    this.#purge(now);
    return this.#used;
  }

  attempt(a: MemoryAttempt): MemoryAttemptResult {
    const now = monotonicNow();
    this.#limit = a.limit;
    const limit = this.limit;
    this.settle(limit, false, now);
    if (a.weight > limit) return { kind: 'too-heavy', limit };
    const since = Math.max(now, this.#lastSince + 0.001);
    const score = a.agingMs > 0 ? since - a.priority * a.agingMs : this.#seq + 1 - a.priority * 4_294_967_296;
    const head = this.waiters[0];
    if (a.weight <= limit - this.#used && (!head || head.score > score)) {
      return { kind: 'granted', fence: this.#grant(a.id, a.token, a.weight, a.ttlMs, now), at: now };
    }
    if (!a.wait) return { kind: 'busy' };
    if (a.maxWaiters === 0 || (a.maxWaiters > 0 && this.waiters.length >= a.maxWaiters)) return { kind: 'full' };
    return { kind: 'queued', score, since };
  }

  /** Queues a waiter after a `queued` attempt (same tick). */
  enqueue(waiter: MemoryWaiter): void {
    this.#seq++;
    this.#lastSince = waiter.since;
    let i = this.waiters.length;
    while (i > 0 && (this.waiters[i - 1] as MemoryWaiter).score > waiter.score) i--;
    this.waiters.splice(i, 0, waiter);
    this.#schedule(monotonicNow());
  }

  /** Removes a waiter that gave up; true if it was queued. */
  cancel(id: string): boolean {
    const i = this.waiters.findIndex((w) => w.id === id);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    this.settle(this.limit, false);
    return true;
  }

  /** Moves a live holder's deadline to `ttlMs` from now; never re-creates an expired one. */
  extend(id: string, token: string, ttlMs: number): boolean {
    const now = monotonicNow();
    this.#purge(now);
    const holder = this.holders.get(id);
    if (!holder || holder.token !== token) return false;
    holder.deadline = now + ttlMs;
    this.#schedule(now);
    return true;
  }

  /** Releases a live holder and passes its permits on; true if this call released it. */
  release(id: string, token: string): boolean {
    const now = monotonicNow();
    this.#purge(now);
    const holder = this.holders.get(id);
    if (!holder || holder.token !== token) return false;
    this.holders.delete(id);
    this.#used -= holder.weight;
    this.settle(this.limit, false, now);
    return true;
  }

  /**
   * Baton passing: serves queue heads in order while they fit. A head that does not fit blocks the
   * rest (a heavy waiter is never starved by lighter ones); one heavier than the limit is rejected.
   */
  settle(limit: number, scan: boolean, now = monotonicNow()): void {
    this.#purge(now);
    for (;;) {
      const head = this.waiters[0];
      if (!head || (this.#used >= limit && !scan)) break;
      if (head.weight > limit) {
        this.waiters.shift();
        head.reject(limit);
      } else if (head.weight > limit - this.#used) {
        break;
      } else {
        this.waiters.shift();
        head.grant(this.#grant(head.id, head.token, head.weight, head.ttlMs, now), now);
      }
    }
    if (this.holders.size === 0 && this.waiters.length === 0) this.stored = undefined;
    this.#schedule(now);
  }

  #grant(id: string, token: string, weight: number, ttlMs: number, now: number): number {
    // Like the scripts: at least the wall clock in microseconds, and always above the last fence.
    this.#fence = Math.max(this.#fence + 1, Math.floor(Date.now()) * 1_000);
    this.holders.set(id, { id, token, weight, fence: this.#fence, since: now, deadline: now + ttlMs });
    this.#used += weight;
    return this.#fence;
  }

  #purge(now: number): void {
    for (const [id, holder] of this.holders) {
      if (holder.deadline <= now) {
        this.holders.delete(id);
        this.#used -= holder.weight;
      }
    }
  }

  // While anyone waits, re-check when the earliest holder's lease ends (it may never be released).
  #schedule(now: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.waiters.length === 0 || this.holders.size === 0) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const holder of this.holders.values()) earliest = Math.min(earliest, holder.deadline);
    this.#timer = unrefTimer(() => this.settle(this.limit, false), earliest - now + 1);
  }

  /** Stops the re-check timer and forgets the waiters, so nothing is granted after close. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.waiters.length = 0;
  }
}
