// The deliberately broken variants behind the worker's LockImpl shape.
import type { Redis } from 'ioredis';
import type { LockImpl } from '../worker/impl.js';
import type { ImplKind } from '../worker/protocol.js';
import { BrokenLock } from './broken-locks.js';
import { TwoRoundTripSemaphore } from './two-rtt-semaphore.js';

/** Creates the broken variant `kind` on one server. */
export function createBrokenImpl(
  kind: Exclude<ImplKind, 'lockstep'>,
  redis: Redis,
  close: () => Promise<void>,
  requestTimeoutMs: number,
  prefix: string,
): LockImpl {
  if (kind === 'two-rtt-semaphore') {
    const semaphore = new TwoRoundTripSemaphore(redis, prefix);
    return { acquire: (a) => semaphore.acquire(a), close };
  }
  const lock = new BrokenLock(kind, redis, prefix, requestTimeoutMs);
  return { acquire: (a) => lock.acquire(a), close };
}
