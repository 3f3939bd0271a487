// Extensions and releases whose replies are slow, through the fault proxy: a late answer never
// resurrects a lease already reported lost, and never leaves it blocking the next owner.
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lockstep } from '../packages/core/src/index.js';
import { FaultProxy } from './faults/proxy/fault-proxy.js';
import { delay } from './support/fixtures.js';

describe('slow replies to extensions', () => {
  let server: RedisServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    server = await startRedisServer();
    proxy = await FaultProxy.start(server.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('an extension answered after the window ended rejects ERR_LEASE_LOST and frees the lock', async () => {
    const redis = new Redis({ port: proxy.port });
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('inflight') });
    const lock = lockstep.lock('x', { ttlMs: 300 });
    const lease = await lock.acquire({ onLost: () => undefined });
    proxy.set('down', { latencyMs: 400 });
    await delay(100);
    const extending = lease.extend(2_000);
    await expect(extending).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    expect(lease.held).toBe(false);
    expect(lease.signal.aborted).toBe(true);
    proxy.set('down', {});
    // The extension did reach Redis in time, but it was given back: the next owner gets in at once.
    const next = await lock.acquire({ waitMs: 1_000 });
    expect(next.fence).toBeGreaterThan(lease.fence as number);
    await next.release();
    await lockstep.close();
    redis.disconnect();
  });
});
