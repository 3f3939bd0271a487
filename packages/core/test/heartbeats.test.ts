// Queued waiters of one process keep their places with one call per name and period.
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delay, eventually } from '../../../test/support/fixtures.js';
import { Lockstep } from '../src/index.js';

function scriptCalls(info: string): number {
  return [...info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('batched heartbeats', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const mode of ['semaphore', 'lock'] as const) {
    it(`${mode}: 200 waiters outlive their waiter TTL several times over with a handful of calls`, async () => {
      const redis = new Redis({ port: server.port });
      const admin = new Redis({ port: server.port });
      const lockstep = new Lockstep({ redis, prefix: uniquePrefix('hb') });
      const options = { ttlMs: 30_000, waiterTtlMs: 1_000 };
      const target =
        mode === 'lock' ? lockstep.lock('deep', options) : lockstep.semaphore('deep', { ...options, limit: 1 });
      const holder = await target.acquire();
      const waiters = Array.from({ length: 200 }, () => target.acquire({ waitMs: 20_000 }));
      await eventually(async () => (await target.inspect()).waiters.length === 200, 10_000);
      // Let every first re-check (made once the subscription is active) finish before counting.
      await delay(500);
      await admin.config('RESETSTAT');
      // Three waiter TTLs: without refreshes every place would be purged long before the end (a
      // 1 s TTL, so one stalled refresh on a loaded machine does not drop a waiter meanwhile).
      await delay(3_000);
      const state = await target.inspect();
      expect(state.waiting).toBe(200);
      expect(state.waiters).toHaveLength(200);
      // One batch per ~330 ms period, not 200 calls per period (which would be about 1,800).
      expect(scriptCalls(await admin.info('commandstats'))).toBeLessThan(60);
      await holder.release();
      // Each waiter releases as soon as it is served, in whatever order that is: a waiter whose
      // heartbeat was late on a loaded machine is purged and queues again at the back, and waiting
      // for the waiters in creation order would then wait for a lock held by the one behind.
      await Promise.all(waiters.map(async (waiting) => (await waiting).release()));
      await lockstep.close();
      redis.disconnect();
      admin.disconnect();
    }, 60_000);
  }
});
