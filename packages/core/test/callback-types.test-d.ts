// Type-level checks (compiled by the root tsconfig): callbacks take what users write. `onLost` is
// called for its effect and its result is ignored (a promise's rejection goes to `onError`), so an
// arrow whose body returns a value, as redis-semaphore's `onLockLost: (e) => errors.push(e)` or a
// logger that returns itself (winston's `logger.error`), must compile, as it does for `onError`.
import type { Redis } from 'ioredis';
import { type LeaseLostError, Lockstep, type LostCallback } from '../src/index.js';
import { createMemoryLockstep } from '../src/testing/index.js';

declare const redis: Redis;
declare const logger: { error(message: string, error: unknown): typeof logger };
const losses: LeaseLostError[] = [];
const lockstep = new Lockstep({ redis, onError: (error) => losses.push(error as LeaseLostError) });
const lock = lockstep.lock('invoice:42');
const semaphore = lockstep.semaphore('exports', { limit: 2 });

void lock.acquire({ onLost: (error) => losses.push(error) });
void lock.tryAcquire({ onLost: (error) => logger.error('lost', error) });
void lock.withLock(() => 1, { onLost: (error) => losses.push(error) });
void semaphore.acquire({ onLost: (error) => losses.push(error) });
void semaphore.withPermit(() => 1, { onLost: async (error) => losses.push(error) });
void lockstep.lockAll(['a', 'b']).acquire({ onLost: (error) => losses.push(error) });
void lock.adopt({} as Parameters<typeof lock.adopt>[0], { onLost: (error) => losses.push(error) });
void createMemoryLockstep()
  .lock('a')
  .acquire({ onLost: (error) => losses.push(error) });

const stored: LostCallback = (error) => losses.push(error);
void lock.acquire({ onLost: stored });
