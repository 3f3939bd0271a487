// redlock-universal 0.8: createLock (standard mode: circuit breaker and a PING health check per lock
// object every 30 s; lean mode: neither) and createRedlock for quorum.
import type { Redis } from 'ioredis';
import { createLock, createRedlock, IoredisAdapter, LockAcquisitionError } from 'redlock-universal';
import { TTL_MS, WAIT_MS } from '../config.js';
import { type LibraryInstance, type LibraryRow, mapTimeout, retriesFor } from './library.js';

type Mode = 'standard' | 'lean';

const isTimeout = (error: unknown) => error instanceof LockAcquisitionError;

// Defaults: retryDelay 100 ms for createLock, 200 ms for createRedlock.
function instance(clients: readonly Redis[], mode: Mode, retryDelay: number | undefined): LibraryInstance {
  const adapters = clients.map((client) => new IoredisAdapter(client));
  const quorum = adapters.length > 1;
  const delay = retryDelay ?? (quorum ? 200 : 100);
  const retryAttempts = retriesFor(WAIT_MS, delay);
  return {
    mutex(key) {
      const lock = quorum
        ? createRedlock({
            adapters,
            key,
            ttl: TTL_MS,
            retryAttempts,
            ...(retryDelay === undefined ? {} : { retryDelay }),
          })
        : createLock({
            adapter: adapters[0] as IoredisAdapter,
            key,
            ttl: TTL_MS,
            retryAttempts,
            performance: mode,
            ...(retryDelay === undefined ? {} : { retryDelay }),
          });
      return {
        acquire: async () => {
          const handle = await lock.acquire().catch((error: unknown) => mapTimeout(error, isTimeout));
          return {
            release: async () => {
              await lock.release(handle);
            },
          };
        },
      };
    },
    semaphore: undefined,
    close: async () => undefined,
  };
}

function rows(mode: Mode): LibraryRow[] {
  const name = mode === 'lean' ? 'redlock-universal 0.8 lean' : 'redlock-universal 0.8';
  const id = mode === 'lean' ? 'rlu-lean' : 'rlu';
  return [
    {
      id,
      library: name,
      variant: 'default',
      setting: `retryDelay 100 (default; 200 for createRedlock); retryAttempts ${retriesFor(WAIT_MS, 100)} (default 3, raised to cover 5 s; ${retriesFor(WAIT_MS, 200)} for quorum)`,
      kind: 'peer',
      hasSemaphore: false,
      hasQuorum: mode === 'standard',
      create: (clients) => instance(clients, mode, undefined),
    },
    {
      id: `${id}:tuned`,
      library: name,
      variant: 'tuned',
      setting: `retryDelay 0 (setTimeout(0) ≥1 ms); retryAttempts ${retriesFor(WAIT_MS, 0)}`,
      kind: 'peer',
      hasSemaphore: false,
      hasQuorum: mode === 'standard',
      create: (clients) => instance(clients, mode, 0),
    },
  ];
}

export const REDLOCK_UNIVERSAL_ROWS: readonly LibraryRow[] = [...rows('standard'), ...rows('lean')];
