// Lock and semaphore engines over a MemoryQueue: what `Lock` and `Semaphore` delegate to in memory.
import type { AcquireRequest } from '../waiting/acquisition.js';
import { type AdoptOptions, adoptLease } from '../adopt/adopt-lease.js';
import { monotonicNow, toEpochMs } from '../util/clock.js';
import type { LimiterKind } from '../diagnostics/channels.js';
import type { ExtendOutcome, Lease, LeaseDriver } from '../lease/lease.js';
import type { LockEngine, LockState } from '../lock/lock-engine.js';
import type { PermitRequest, SemaphoreBackend, SemaphoreState } from '../semaphore/semaphore.js';
import type { SemaphoreSettings } from '../semaphore/semaphore-engine.js';
import { type MemoryContender, type MemoryRuntime, memoryAcquire } from './memory-acquire.js';
import type { MemoryQueue } from './memory-queue.js';

/** Settings of one name, as the Redis engines take them. */
interface MemorySettings {
  readonly ttlMs: number;
  readonly waiterTtlMs: number;
  readonly maxWaiters: number;
}

/** What locks and semaphores share in memory: the queue, the lease driver and the acquisition. */
abstract class MemoryEngine implements LeaseDriver, MemoryContender {
  abstract readonly kind: LimiterKind;

  constructor(
    readonly name: string,
    readonly queue: MemoryQueue,
    readonly settings: MemorySettings,
    readonly runtime: MemoryRuntime,
  ) {}

  get driver(): LeaseDriver {
    return this;
  }

  get maxWaiters(): number {
    return this.settings.maxWaiters;
  }

  drift(ttlMs: number): number {
    return this.runtime.drift(ttlMs);
  }

  onError(error: unknown): void {
    this.runtime.onError(error);
  }

  async extend(id: string, token: string, ttlMs: number): Promise<ExtendOutcome> {
    return this.queue.extend(id, token, ttlMs) ? 'extended' : 'not-held';
  }

  async release(id: string, token: string): Promise<boolean> {
    return this.queue.release(id, token);
  }

  /** Adopts an exported lease after the queue confirmed its id and token still hold (as in Redis). */
  adopt(handle: unknown, options?: AdoptOptions): Promise<Lease> {
    const target = {
      name: this.name,
      kind: this.kind,
      ttlMs: this.settings.ttlMs,
      fenced: true,
      driver: this,
    } as const;
    return adoptLease({ ...target, runtime: this.runtime }, handle, options);
  }

  protected grant(weight: number, priority: number, agingMs: number, limit: number, request: AcquireRequest) {
    const permit = { weight, priority, agingMs, limit, ttlMs: this.settings.ttlMs };
    return memoryAcquire(this, this.runtime, permit, request);
  }

  /** Heartbeat deadline of a live waiter, epoch ms: in memory a waiter lives while it waits. */
  protected aliveUntil(): number {
    return toEpochMs(monotonicNow() + this.settings.waiterTtlMs);
  }
}

/** A mutex in memory: a queue with limit 1. */
export class MemoryLockEngine extends MemoryEngine implements LockEngine {
  readonly kind: LimiterKind = 'lock';

  acquire(request: AcquireRequest): Promise<Lease | null> {
    return this.grant(1, 0, 0, 1, request);
  }

  async inspect(): Promise<LockState> {
    this.queue.used();
    const holder = this.queue.holders.values().next().value;
    const aliveUntil = this.aliveUntil();
    return {
      held: holder !== undefined,
      fence: holder?.fence,
      expiresInMs: holder ? Math.max(0, Math.ceil(holder.deadline - monotonicNow())) : 0,
      waiting: this.queue.waiters.length,
      waiters: this.queue.waiters.map(() => ({ aliveUntil })),
    };
  }
}

/** A semaphore in memory. */
export class MemorySemaphoreEngine extends MemoryEngine implements SemaphoreBackend {
  readonly kind: LimiterKind = 'semaphore';
  declare readonly settings: SemaphoreSettings;

  get limit(): number {
    return this.settings.limit;
  }

  acquire(permit: PermitRequest, request: AcquireRequest): Promise<Lease | null> {
    return this.grant(permit.weight, permit.priority, this.settings.agingMs, this.settings.limit, request);
  }

  async setLimit(limit: number): Promise<void> {
    this.queue.setLimit(limit);
    this.settings.limit = limit;
  }

  async inspect(): Promise<SemaphoreState> {
    const q = this.queue;
    const used = q.used();
    const names = new Map([...this.settings.classes].map(([name, value]) => [value, name]));
    const aliveUntil = this.aliveUntil();
    const holders = [...q.holders.values()]
      .sort((a, b) => a.deadline - b.deadline)
      .map((h) => ({ fence: h.fence, weight: h.weight, expiresAt: toEpochMs(h.deadline), since: toEpochMs(h.since) }));
    const waiters = q.waiters.slice(0, 1_000).map((w) => ({
      priority: w.priority,
      priorityName: names.get(w.priority),
      weight: w.weight,
      since: toEpochMs(w.since),
      aliveUntil,
    }));
    return { limit: q.stored ?? this.settings.limit, used, holders, waiters, waiting: q.waiters.length };
  }
}
