import { type RedisServer, startRedisServers, uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delay, quorumLockstep } from '../../../test/support/fixtures.js';
import { AcquireTimeoutError, Lockstep, QuorumError } from '../src/index.js';

describe('semaphores in quorum mode', () => {
  it('grants up to the limit (weighted), no fence, and gives permits back on release', async () => {
    const { lockstep } = quorumLockstep();
    const semaphore = lockstep.semaphore('pool', { limit: 3, ttlMs: 5_000 });
    const one = await semaphore.acquire({ weight: 1 });
    const two = await semaphore.acquire({ weight: 2 });
    expect(one.fence).toBeUndefined();
    expect(two.weight).toBe(2);
    expect(two.toJSON()).toMatchObject({ kind: 'semaphore', fence: null, weight: 2 });
    expect(await semaphore.tryAcquire()).toBeNull();
    expect(await two.release()).toBe(true);
    const again = await semaphore.tryAcquire({ weight: 2 });
    expect(again).not.toBeNull();
    expect(await semaphore.tryAcquire()).toBeNull();
    await again?.release();
    await one.release();
  });

  it('tryAcquire finds the free slots: null only when the semaphore is full', async () => {
    const { lockstep } = quorumLockstep();
    const semaphore = lockstep.semaphore('try', { limit: 4 });
    const held = [await semaphore.acquire(), await semaphore.acquire()];
    for (let i = 0; i < 20; i++) {
      const lease = await semaphore.tryAcquire({ weight: 2 });
      expect(lease?.weight).toBe(2);
      expect(await semaphore.tryAcquire()).toBeNull();
      await lease?.release();
    }
    for (const lease of held) await lease.release();
  });

  it('contention ends in ERR_ACQUIRE_TIMEOUT with the per-node detail, never ERR_QUORUM', async () => {
    const { lockstep } = quorumLockstep();
    const semaphore = lockstep.semaphore('busy', { limit: 1 });
    const held = await semaphore.acquire();
    const error = await semaphore.acquire({ waitMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect((error as AcquireTimeoutError).cause).toBeInstanceOf(QuorumError);
    expect(((error as AcquireTimeoutError).cause as QuorumError).reason).toBe('contention');
    await held.release();
  });

  it('a waiter gets a permit once one is released; extend and auto-extend work', async () => {
    const { lockstep } = quorumLockstep();
    const semaphore = lockstep.semaphore('wait', { limit: 2, ttlMs: 400 });
    const held = await semaphore.acquire({ weight: 2, autoExtend: true });
    await delay(1_000);
    expect(held.held).toBe(true);
    const waiting = semaphore.acquire({ waitMs: 5_000, priority: 1 });
    await delay(100);
    await held.release();
    const next = await waiting;
    await next.extend(1_000);
    expect(next.remainingMs).toBeGreaterThan(400);
    await next.release();
  });

  it('adopts exported permits after a majority confirms them; stale handles are refused', async () => {
    const { lockstep } = quorumLockstep();
    const semaphore = lockstep.semaphore('adopt', { limit: 4 });
    const lease = await semaphore.acquire({ weight: 3 });
    const adopted = await semaphore.adopt(JSON.parse(JSON.stringify(lease)));
    expect(adopted.weight).toBe(3);
    expect(await adopted.release()).toBe(true);
    await expect(semaphore.adopt(lease.toJSON())).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    await expect(semaphore.adopt({ ...lease.toJSON(), id: '0,1' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

describe('quorum semaphores with failing nodes', () => {
  let servers: RedisServer[] = [];
  const clients: Redis[] = [];

  beforeAll(async () => {
    servers = await startRedisServers(5);
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('with 3 of 5 nodes down fails fast with ERR_QUORUM (unavailable); with 2 down it still grants', async () => {
    for (const s of servers) {
      const client = new Redis({ port: s.port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
      client.on('error', () => undefined);
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.ping()));
    const lockstep = new Lockstep({ redis: clients, prefix: uniquePrefix('qsf'), quorum: { nodeTimeoutMs: 100 } });
    const semaphore = lockstep.semaphore('down', { limit: 2, ttlMs: 5_000 });
    await Promise.all([servers[0], servers[1]].map((s) => s?.kill()));
    const ok = await semaphore.acquire({ waitMs: 5_000 });
    expect(ok.weight).toBe(1);
    await servers[2]?.kill();
    const error = await semaphore.acquire({ waitMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuorumError);
    expect((error as QuorumError).reason).toBe('unavailable');
    await ok.release().catch(() => undefined);
    await lockstep.close();
  });
});
