// A lock in memory: a MemoryQueue with limit 1 behind the public Lock.
import type { LimiterKind } from '../diagnostics/channels.js';
import type { Lease } from '../lease/lease.js';
import { Lock } from '../lock/lock.js';
import type { LockEngine, LockState } from '../lock/lock-engine.js';
import { type LockOptions, resolveLockOptions } from '../lock/lock-options.js';
import { monotonicNow } from '../util/clock.js';
import type { AcquireRequest } from '../waiting/contender.js';
import type { MemoryRuntime } from './memory-acquire.js';
import { MemoryEngine } from './memory-engine.js';
import type { MemoryQueue } from './memory-queue.js';

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

/** A Lock for `name` whose state lives in the queue `queueOf` returns for its key. */
export function memoryLock(
  name: string,
  options: LockOptions | undefined,
  queueOf: (key: string) => MemoryQueue,
  runtime: MemoryRuntime,
): Lock {
  const resolved = resolveLockOptions(options);
  return new Lock(name, new MemoryLockEngine(name, queueOf(`l:${name}`), resolved, runtime));
}
