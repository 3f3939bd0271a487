// Lockstep instances on the shared servers, each with a unique prefix, closed after the file; the
// file fails if any key it wrote is left without a TTL.
import { keysWithoutTtl, uniquePrefix } from '@lockstep/test-utils';
import { clusterClient, quorumClients, standaloneClient } from '@lockstep/test-utils/context';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, expect } from 'vitest';
import { Lockstep, type LockstepOptions } from '../../packages/core/src/index.js';

const created: { lockstep: Lockstep; clients: (Redis | Cluster)[]; prefix: string }[] = [];

afterAll(async () => {
  for (const { lockstep, clients, prefix } of created) {
    await lockstep.close();
    for (const client of clients) {
      expect(await keysWithoutTtl(client, `*${prefix}*`)).toEqual([]);
    }
  }
  created.length = 0;
});

type Extra = Omit<LockstepOptions, 'redis'>;

/** A Lockstep on the shared standalone server with a fresh prefix. */
export function standaloneLockstep(extra: Extra = {}): { lockstep: Lockstep; redis: Redis; prefix: string } {
  const redis = standaloneClient();
  const prefix = extra.prefix ?? uniquePrefix('s');
  const lockstep = new Lockstep({ ...extra, redis, prefix });
  created.push({ lockstep, clients: [redis], prefix });
  return { lockstep, redis, prefix };
}

/** A Lockstep on the shared cluster with a fresh prefix. */
export function clusterLockstep(extra: Extra = {}): { lockstep: Lockstep; redis: Cluster; prefix: string } {
  const redis = clusterClient();
  const prefix = extra.prefix ?? uniquePrefix('c');
  const lockstep = new Lockstep({ ...extra, redis, prefix });
  created.push({ lockstep, clients: [redis], prefix });
  return { lockstep, redis, prefix };
}

/** A quorum Lockstep on the five shared independent servers with a fresh prefix. */
export function quorumLockstep(extra: Extra = {}): { lockstep: Lockstep; clients: Redis[]; prefix: string } {
  const clients = quorumClients();
  const prefix = extra.prefix ?? uniquePrefix('q');
  const lockstep = new Lockstep({ ...extra, redis: clients, prefix });
  created.push({ lockstep, clients, prefix });
  return { lockstep, clients, prefix };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `fn` until it returns true or `timeoutMs` passes. */
export async function eventually(fn: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await delay(10);
  }
  throw new Error('condition not met in time');
}
