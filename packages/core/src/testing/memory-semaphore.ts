// A semaphore in memory: a MemoryQueue with a limit behind the public Semaphore.
import type { LimiterKind } from '../diagnostics/channels.js';
import type { Lease } from '../lease/lease.js';
import { type PermitRequest, Semaphore, type SemaphoreBackend, type SemaphoreState } from '../semaphore/semaphore.js';
import type { SemaphoreSettings } from '../semaphore/semaphore-engine.js';
import { resolveSemaphoreOptions, type SemaphoreOptions } from '../semaphore/semaphore-options.js';
import { toEpochMs } from '../util/clock.js';
import type { AcquireRequest } from '../waiting/contender.js';
import type { MemoryRuntime } from './memory-acquire.js';
import { MemoryEngine } from './memory-engine.js';
import type { MemoryQueue } from './memory-queue.js';

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

/** A Semaphore for `name` whose state lives in the queue `queueOf` returns for its key. */
export function memorySemaphore(
  name: string,
  options: SemaphoreOptions,
  queueOf: (key: string) => MemoryQueue,
  runtime: MemoryRuntime,
): Semaphore {
  const resolved = resolveSemaphoreOptions(options);
  const engine = new MemorySemaphoreEngine(name, queueOf(`s:${name}`), { ...resolved }, runtime);
  return new Semaphore(name, resolved, engine);
}
