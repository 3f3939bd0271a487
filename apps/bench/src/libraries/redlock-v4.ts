// redlock 4.x (bluebird, EVALSHA scripts): retryDelay ± retryJitter polling; a failed attempt is
// undone with an unlock before the next one.
import type { Redis } from 'ioredis';
import Redlock from 'redlock';
import { TTL_MS, WAIT_MS } from '../config.js';
import { type LibraryInstance, type LibraryRow, mapTimeout, retriesFor } from './library.js';

interface Settings {
  readonly retryDelay: number;
  readonly retryJitter: number;
}

const DEFAULTS: Settings = { retryDelay: 200, retryJitter: 100 };
const TUNED: Settings = { retryDelay: 0, retryJitter: 0 };

function instance(clients: readonly Redis[], settings: Settings): LibraryInstance {
  const redlock = new Redlock([...clients], {
    ...settings,
    retryCount: retriesFor(WAIT_MS, settings.retryDelay),
  });
  // Errors of single nodes are reported as events; the benchmark counts failed acquisitions instead.
  redlock.on('clientError', () => undefined);
  const isTimeout = (error: unknown) => error instanceof Redlock.LockError;
  return {
    mutex: (key) => ({
      acquire: async () => {
        const lock = await Promise.resolve(redlock.lock(key, TTL_MS)).catch((error: unknown) =>
          mapTimeout(error, isTimeout),
        );
        return {
          release: async () => {
            await lock.unlock();
          },
        };
      },
    }),
    semaphore: undefined,
    close: async () => undefined,
  };
}

export const REDLOCK_V4_ROWS: readonly LibraryRow[] = [
  {
    id: 'redlock4',
    library: 'redlock 4.2',
    variant: 'default',
    setting: `retryDelay 200, retryJitter 100 (defaults); retryCount ${retriesFor(WAIT_MS, 200)} (default 10, raised to cover 5 s)`,
    kind: 'peer',
    hasSemaphore: false,
    hasQuorum: true,
    create: (clients) => instance(clients, DEFAULTS),
  },
  {
    id: 'redlock4:tuned',
    library: 'redlock 4.2',
    variant: 'tuned',
    setting: `retryDelay 0, retryJitter 0 (setTimeout(0) ≥1 ms); retryCount ${retriesFor(WAIT_MS, 0)}`,
    kind: 'peer',
    hasSemaphore: false,
    hasQuorum: true,
    create: (clients) => instance(clients, TUNED),
  },
];
