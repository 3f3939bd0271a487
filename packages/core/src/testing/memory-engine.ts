// What the in-memory lock and semaphore engines share: the queue, the lease driver and the acquisition.

import { type AdoptOptions, adoptLease } from '../adopt/adopt-lease.js';
import type { LimiterKind } from '../diagnostics/channels.js';
import type { Lease } from '../lease/lease.js';
import type { ExtendOutcome, LeaseDriver } from '../lease/lease-driver.js';
import { monotonicNow, toEpochMs } from '../util/clock.js';
import type { AcquireRequest } from '../waiting/contender.js';
import { type MemoryContender, type MemoryRuntime, memoryAcquire } from './memory-acquire.js';
import type { MemoryQueue } from './memory-queue.js';

/** Settings of one name, as the Redis engines take them. */
export interface MemorySettings {
  readonly ttlMs: number;
  readonly waiterTtlMs: number;
  readonly maxWaiters: number;
}

/** What locks and semaphores share in memory: the queue, the lease driver and the acquisition. */
export abstract class MemoryEngine implements LeaseDriver, MemoryContender {
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
