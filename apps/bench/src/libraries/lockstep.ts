// Lockstep (@lockstep/core), the library under test: push-based FIFO hand-off, so it has no retry
// interval on a single server; quorum mode polls with retryDelayMs + jitter.

import type { QuorumOptions } from '@lockstep/core';
import * as current from '@lockstep/core';
import type { Redis } from 'ioredis';
import { TTL_MS, WAIT_MS } from '../config.js';
import { type Acquirer, type LibraryInstance, type LibraryRow, mapTimeout } from './library.js';

/**
 * What the adapter uses of @lockstep/core: this checkout's build, or another commit's (`--baseline`),
 * whose bundle has the same exports but its own classes.
 */
export interface CoreModule {
  readonly Lockstep: typeof current.Lockstep;
  readonly AcquireTimeoutError: typeof current.AcquireTimeoutError;
}

export function lockstepInstance(
  core: CoreModule,
  clients: readonly Redis[],
  quorum: QuorumOptions | undefined,
  stats = false,
): LibraryInstance {
  const isTimeout = (error: unknown) => error instanceof core.AcquireTimeoutError;
  const lockstep =
    clients.length === 1
      ? new core.Lockstep({ redis: clients[0] as Redis, ...(stats ? { stats } : {}) })
      : new core.Lockstep({ redis: [...clients], ...(quorum ? { quorum } : {}) });
  const wrap = (take: () => Promise<{ release(): Promise<boolean> }>): Acquirer => ({
    acquire: async () => {
      const lease = await take().catch((error: unknown) => mapTimeout(error, isTimeout));
      return {
        release: async () => {
          await lease.release();
        },
      };
    },
  });
  return {
    mutex(key) {
      const lock = lockstep.lock(key, { ttlMs: TTL_MS });
      return wrap(() => lock.acquire({ waitMs: WAIT_MS }));
    },
    semaphore:
      clients.length === 1
        ? (key, limit) => {
            const sem = lockstep.semaphore(key, { limit, ttlMs: TTL_MS });
            return wrap(() => sem.acquire({ waitMs: WAIT_MS }));
          }
        : undefined,
    close: () => lockstep.close(),
  };
}

/** Lockstep rows: one on a single server (no retry interval exists), default and tuned in quorum mode. */
export const LOCKSTEP_ROWS: readonly LibraryRow[] = [
  {
    id: 'lockstep',
    library: 'Lockstep',
    variant: 'default',
    setting: 'defaults (push hand-off, no retry interval); quorum: retryDelayMs 50 + jitter 0–50',
    kind: 'lockstep',
    hasSemaphore: true,
    hasQuorum: true,
    create: (clients) => lockstepInstance(current, clients, undefined),
  },
  {
    id: 'lockstep:tuned',
    library: 'Lockstep',
    variant: 'tuned',
    setting: 'quorum: retryDelayMs 0, retryJitterMs 0 (Node runs setTimeout(0) after ≥1 ms)',
    kind: 'lockstep',
    hasSemaphore: false,
    hasQuorum: true,
    create: (clients) => lockstepInstance(current, clients, { retryDelayMs: 0, retryJitterMs: 0 }),
  },
  {
    // The cost of the dashboard's grant statistics on the hot path (a map update per grant, one
    // pipelined write per name and second): compare with the `lockstep` row.
    id: 'lockstep:stats',
    library: 'Lockstep',
    variant: 'stats',
    setting: 'stats: true (grant statistics for the dashboard)',
    kind: 'lockstep',
    hasSemaphore: true,
    hasQuorum: false,
    create: (clients) => lockstepInstance(current, clients, undefined, true),
  },
];
