// @sesamecare-oss/redlock 1.4: the maintained TypeScript redlock; decides as soon as a quorum voted.
import { ExecutionError, Redlock } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';
import { TTL_MS, WAIT_MS } from '../config.js';
import { type LibraryInstance, type LibraryRow, mapTimeout, retriesFor } from './library.js';

interface Settings {
  readonly retryDelay: number;
  readonly retryJitter: number;
}

const isTimeout = (error: unknown) => error instanceof ExecutionError;

function instance(clients: readonly Redis[], settings: Settings): LibraryInstance {
  const redlock = new Redlock(clients, { ...settings, retryCount: retriesFor(WAIT_MS, settings.retryDelay) });
  redlock.on('error', () => undefined);
  return {
    mutex: (key) => ({
      acquire: async () => {
        const lock = await redlock.acquire([key], TTL_MS).catch((error: unknown) => mapTimeout(error, isTimeout));
        return {
          release: async () => {
            await lock.release();
          },
        };
      },
    }),
    semaphore: undefined,
    close: async () => undefined,
  };
}

export const SESAME_ROWS: readonly LibraryRow[] = [
  {
    id: 'sesame',
    library: '@sesamecare-oss/redlock 1.4',
    variant: 'default',
    setting: `retryDelay 200, retryJitter 100 (defaults); retryCount ${retriesFor(WAIT_MS, 200)} (default 10, raised to cover 5 s)`,
    kind: 'peer',
    hasSemaphore: false,
    hasQuorum: true,
    create: (clients) => instance(clients, { retryDelay: 200, retryJitter: 100 }),
  },
  {
    id: 'sesame:tuned',
    library: '@sesamecare-oss/redlock 1.4',
    variant: 'tuned',
    setting: `retryDelay 0, retryJitter 0 (setTimeout(0) ≥1 ms); retryCount ${retriesFor(WAIT_MS, 0)}`,
    kind: 'peer',
    hasSemaphore: false,
    hasQuorum: true,
    create: (clients) => instance(clients, { retryDelay: 0, retryJitter: 0 }),
  },
];
