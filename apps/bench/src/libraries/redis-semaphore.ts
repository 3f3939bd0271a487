// redis-semaphore 5.8: Mutex (SET NX PX polling) and Semaphore (a ZSET scored by client clocks).
import type { Redis } from 'ioredis';
import { Mutex, Semaphore, TimeoutError } from 'redis-semaphore';
import { TTL_MS, WAIT_MS } from '../config.js';
import { type Acquirer, type LibraryInstance, type LibraryRow, mapTimeout } from './library.js';

const isTimeout = (error: unknown) => error instanceof TimeoutError;

function instance(client: Redis, retryInterval: number | undefined): LibraryInstance {
  const options = {
    lockTimeout: TTL_MS,
    acquireTimeout: WAIT_MS,
    ...(retryInterval === undefined ? {} : { retryInterval }),
  };
  // One lock object per acquisition: a redis-semaphore object carries one identifier.
  const wrap = (make: () => Mutex | Semaphore): Acquirer => ({
    acquire: async () => {
      const lock = make();
      await lock.acquire().catch((error: unknown) => mapTimeout(error, isTimeout));
      return { release: () => lock.release() };
    },
  });
  return {
    mutex: (key) => wrap(() => new Mutex(client, key, options)),
    semaphore: (key, limit) => wrap(() => new Semaphore(client, key, limit, options)),
    close: async () => undefined,
  };
}

export const REDIS_SEMAPHORE_ROWS: readonly LibraryRow[] = [
  {
    id: 'redis-semaphore',
    library: 'redis-semaphore 5.8',
    variant: 'default',
    setting: 'retryInterval 10 ms (default), acquireTimeout 5000 ms',
    kind: 'peer',
    hasSemaphore: true,
    hasQuorum: false,
    create: (clients) => instance(clients[0] as Redis, undefined),
  },
  {
    id: 'redis-semaphore:tuned',
    library: 'redis-semaphore 5.8',
    variant: 'tuned',
    setting: 'retryInterval 0 (Node runs setTimeout(0) after ≥1 ms), acquireTimeout 5000 ms',
    kind: 'peer',
    hasSemaphore: true,
    hasQuorum: false,
    create: (clients) => instance(clients[0] as Redis, 0),
  },
];
