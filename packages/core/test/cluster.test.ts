import {
  keysWithoutTtl,
  type RedisClusterHarness,
  scanKeys,
  scriptFlush,
  startRedisCluster,
  uniquePrefix,
} from '@lockstep/test-utils';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterLockstep, eventually } from '../../../test/support/fixtures.js';
import { type Lease, Lockstep } from '../src/index.js';

describe('on the shared Redis Cluster', () => {
  it('locks and hands over in FIFO order with no CROSSSLOT errors', async () => {
    const { lockstep } = clusterLockstep();
    for (const name of ['a', 'b{x}', 'c}:h', '{', 'd*?[]:%', '\u0000nul']) {
      const lock = lockstep.lock(name, { ttlMs: 5_000 });
      const first = await lock.acquire();
      const waiters = [lock.acquire({ waitMs: 5_000 }), lock.acquire({ waitMs: 5_000 })];
      await eventually(async () => (await lock.inspect()).waiting === 2);
      await first.release();
      const second = await (waiters[0] as Promise<Lease>);
      expect(second.fence).toBeGreaterThan(first.fence as number);
      await second.release();
      await (await (waiters[1] as Promise<Lease>)).release();
    }
  });

  it('keeps every key of one name in one slot, whatever braces the name holds', async () => {
    const { lockstep, redis, prefix } = clusterLockstep();
    const names = ['x', 'x}', '{x}', 'a{b}c', '}{'];
    const held = await Promise.all(names.map((n) => lockstep.lock(n).acquire()));
    const waiting = names.map((n) => lockstep.lock(n).acquire({ waitMs: 5_000 }));
    await eventually(async () => (await scanKeys(redis, `*${prefix}*:q`)).length === names.length);
    const keys = await scanKeys(redis, `*${prefix}*`);
    const slots = new Map<string, Set<number>>();
    for (const key of keys) {
      const tag = key.slice(0, key.indexOf('}') + 1);
      const slot = Number(await redis.cluster('KEYSLOT', key));
      slots.set(tag, (slots.get(tag) ?? new Set()).add(slot));
    }
    expect(slots.size).toBe(names.length);
    for (const set of slots.values()) expect(set.size).toBe(1);
    for (const lease of held) await lease.release();
    for (const p of waiting) await (await p).release();
  });

  it('runs semaphores with priorities on the cluster', async () => {
    const { lockstep } = clusterLockstep();
    const sem = lockstep.semaphore('pool', { limit: 2 });
    const a = await sem.acquire();
    const b = await sem.acquire();
    const order: number[] = [];
    const waiters = [0, 5, 1].map((priority) =>
      sem.acquire({ priority, waitMs: 5_000 }).then((lease) => {
        order.push(priority);
        return lease;
      }),
    );
    await eventually(async () => (await sem.inspect()).waiting === 3);
    await a.release();
    await b.release();
    const leases = await Promise.all(waiters.slice(1));
    for (const lease of leases) await lease.release();
    await (await (waiters[0] as Promise<Lease>)).release();
    expect(order).toEqual([5, 1, 0]);
  });

  it('absorbs SCRIPT FLUSH on every node', async () => {
    const { lockstep, redis } = clusterLockstep();
    const lock = lockstep.lock('flush');
    for (let i = 0; i < 10; i++) {
      if (i % 3 === 0) await scriptFlush(redis);
      const lease = await lock.acquire();
      await lease.extend();
      await lease.release();
    }
  });
});

describe('cluster failover', () => {
  let cluster: RedisClusterHarness;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('survives CLUSTER FAILOVER under load with no error reaching the caller', async () => {
    const redis = cluster.client();
    redis.on('error', () => undefined);
    const prefix = uniquePrefix('fo');
    // A manual failover pauses writes on the old primary for up to 5 s by itself (Redis's
    // CLUSTER_MF_TIMEOUT), more on a loaded machine: a 5 s request timeout raced it.
    const lockstep = new Lockstep({ redis, prefix, requestTimeoutMs: 20_000 });
    const lock = lockstep.lock('hot', { ttlMs: 5_000 });
    let stop = false;
    let grants = 0;
    const errors: unknown[] = [];
    const worker = async () => {
      while (!stop) {
        try {
          const lease = await lock.acquire({ waitMs: 20_000 });
          grants++;
          await lease.release();
        } catch (err) {
          errors.push(err);
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await eventually(() => grants > 50, 10_000);
    const primary = await cluster.primaryFor(`{${prefix}:l:hot}:h`);
    await cluster.failover(primary);
    const before = grants;
    await eventually(() => grants > before + 50, 20_000);
    stop = true;
    await Promise.all(workers);
    expect(errors).toEqual([]);
    expect(await keysWithoutTtl(redis, `*${prefix}*`)).toEqual([]);
    await lockstep.close();
    await (redis as Cluster).quit();
  }, 90_000);
});
