import { type RedisServer, startRedisServers, uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { delay, eventually, quorumLockstep } from '../../../test/support/fixtures.js';
import { Lockstep, QuorumError } from '../src/index.js';

describe('quorum locks on five shared servers', () => {
  it('grants on a majority with no fence, extends and releases on every node', async () => {
    const { lockstep, clients, prefix } = quorumLockstep();
    expect(lockstep.isQuorum).toBe(true);
    const lock = lockstep.lock('payout:7', { ttlMs: 2_000 });
    const asked = performance.now();
    const lease = await lock.acquire({ waitMs: 1_000 });
    expect(lease.fence).toBeUndefined();
    // The window is counted from the start of the attempt, less the clock drift (1% + 2 ms): a
    // slow acquisition on a loaded machine shortens it, so the bound moves with the time taken.
    expect(lease.remainingMs).toBeGreaterThanOrEqual(2_000 - 25 - (performance.now() - asked));
    expect(lease.remainingMs).toBeLessThanOrEqual(2_000 - 20);
    const key = `{${prefix}:q:payout%3A7}`;
    // Granted once a majority answered: the other nodes' writes may still be on their way.
    const holding = async () => (await Promise.all(clients.map((c) => c.get(key)))).filter((t) => t === lease.token);
    expect((await holding()).length).toBeGreaterThanOrEqual(3);
    await eventually(async () => (await holding()).length === 5, 2_000);
    await lease.extend(3_000);
    const extended = async () => (await Promise.all(clients.map((c) => c.pttl(key)))).filter((ms) => ms > 2_000);
    expect((await extended()).length).toBeGreaterThanOrEqual(3);
    await eventually(async () => (await extended()).length === 5, 2_000);
    expect(await lease.release()).toBe(true);
    await eventually(async () => (await Promise.all(clients.map((c) => c.exists(key)))).every((n) => n === 0), 2_000);
  });

  it('reports contention as ERR_ACQUIRE_TIMEOUT and tryAcquire as null, leaving no key of the loser', async () => {
    const { lockstep, clients, prefix } = quorumLockstep({ quorum: { retryDelayMs: 10, retryJitterMs: 10 } });
    const lock = lockstep.lock('busy', { ttlMs: 5_000 });
    const held = await lock.acquire();
    expect(await lock.tryAcquire()).toBeNull();
    await expect(lock.acquire({ waitMs: 100 })).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    const key = `{${prefix}:q:busy}`;
    await delay(50);
    const tokens = await Promise.all(clients.map((c) => c.get(key)));
    expect(tokens.every((t) => t === held.token)).toBe(true);
    await held.release();
  });

  it('a waiter gets the lock after the holder releases', async () => {
    const { lockstep } = quorumLockstep({ quorum: { retryDelayMs: 5, retryJitterMs: 5 } });
    const lock = lockstep.lock('handoff', { ttlMs: 5_000 });
    const held = await lock.acquire();
    const waiting = lock.acquire({ waitMs: 5_000 });
    await delay(50);
    await held.release();
    const next = await waiting;
    expect(next.token).not.toBe(held.token);
    await next.release();
  });

  it('semaphores in quorum mode refuse what needs one server (see quorum-semaphore.test.ts)', async () => {
    const { lockstep } = quorumLockstep();
    const semaphore = lockstep.semaphore('s', { limit: 2 });
    await expect(semaphore.setLimit(3)).rejects.toThrow(/single Redis or a Cluster/);
    await expect(semaphore.inspect()).rejects.toThrow(/single Redis or a Cluster/);
    expect(() => lockstep.semaphore('s', { limit: 2, agingMs: 10 })).toThrow(/agingMs/);
    expect(() => lockstep.semaphore('s', { limit: 1_001 })).toThrow(/at most 1000/);
  });
});

describe('quorum locks with failing nodes', () => {
  let servers: RedisServer[] = [];
  let clients: Redis[] = [];
  let lockstep: Lockstep;
  let prefix: string;

  beforeAll(async () => {
    servers = await startRedisServers(5);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  // 50 ms (the default) where a test needs a node timeout shorter than a pause; 500 ms where live
  // nodes must answer in time on a loaded machine (a stall past 50 ms makes a live node look down).
  const connect = async (nodeTimeoutMs = 50) => {
    clients = servers.map((s) => {
      const client = new Redis({ port: s.port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
      client.on('error', () => undefined);
      return client;
    });
    // Connected before the first node timeout starts counting.
    await Promise.all(clients.map((c) => c.ping()));
    prefix = uniquePrefix('qf');
    lockstep = new Lockstep({ redis: clients, prefix, quorum: { nodeTimeoutMs, retryDelayMs: 10 } });
  };
  afterEach(async () => {
    await lockstep.close();
    for (const c of clients) c.disconnect();
    for (const s of servers) {
      s.resume();
      if (!s.running) await s.restart();
    }
  });

  it('with 3 of 5 nodes down fails fast with ERR_QUORUM (unavailable), per-node detail, no retries', async () => {
    await connect(500);
    await Promise.all([servers[0], servers[1], servers[2]].map((s) => s?.kill()));
    const started = Date.now();
    const error = await lockstep
      .lock('down', { ttlMs: 5_000 })
      .acquire({ waitMs: 5_000 })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(QuorumError);
    const q = error as QuorumError;
    expect(q.code).toBe('ERR_QUORUM');
    expect(q.reason).toBe('unavailable');
    expect(q.nodes.map((n) => n.outcome)).toEqual(['unreachable', 'unreachable', 'unreachable', 'granted', 'granted']);
    expect(q.attempts).toBe(1);
    // About one node timeout (500 ms), well below the 5 s wait: it never waited as if locked.
    expect(Date.now() - started).toBeLessThan(4_000);
    // The two live nodes were cleaned up.
    const key = `{${prefix}:q:down}`;
    await eventually(async () => (await clients[3]?.exists(key)) === 0 && (await clients[4]?.exists(key)) === 0);
  });

  it('retries through a moment when a majority is connected but too slow, instead of failing', async () => {
    await connect();
    for (const server of servers.slice(0, 3)) server.pause();
    setTimeout(() => {
      for (const server of servers.slice(0, 3)) server.resume();
    }, 300);
    const lease = await lockstep.lock('slow-moment', { ttlMs: 2_000 }).acquire({ waitMs: 5_000 });
    expect(lease.remainingMs).toBeGreaterThan(0);
    await lease.release();
  });

  it('stays available and exclusive with 2 of 5 nodes killed mid-run', async () => {
    await connect(500);
    const lock = lockstep.lock('two-down', { ttlMs: 3_000 });
    let stop = false;
    let inside = 0;
    let maxInside = 0;
    let grants = 0;
    const errors: unknown[] = [];
    const worker = async () => {
      while (!stop) {
        try {
          const lease = await lock.acquire({ waitMs: 3_000 });
          inside++;
          maxInside = Math.max(maxInside, inside);
          grants++;
          await delay(1);
          inside--;
          await lease.release();
        } catch (err) {
          errors.push(err);
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await eventually(() => grants > 20);
    await Promise.all([servers[0]?.kill(), servers[4]?.kill()]);
    const before = grants;
    await eventually(() => grants > before + 20, 10_000);
    stop = true;
    await Promise.all(workers);
    expect(maxInside).toBe(1);
    expect(errors.filter((e) => !(e instanceof Error && 'code' in e && e.code === 'ERR_ACQUIRE_TIMEOUT'))).toEqual([]);
  });

  it('counts validity from the attempt with a node paused, and never returns an expired lease', async () => {
    await connect();
    servers[0]?.pause();
    const lock = lockstep.lock('slow', { ttlMs: 1_000 });
    const started = performance.now();
    const lease = await lock.acquire({ waitMs: 2_000 });
    const elapsed = performance.now() - started;
    // Validity = TTL − time since the attempt started − drift (1% + 2 ms).
    expect(lease.remainingMs).toBeGreaterThan(0);
    expect(lease.remainingMs).toBeLessThanOrEqual(1_000 - elapsed - 12 + 1);
    await lease.release();

    // The client stalls longer than the TTL while the nodes answer: a majority granted, but the
    // window is over by the time the answers are read, so no lease may be returned.
    const stalled = lockstep.lock('stalled', { ttlMs: 30 }).acquire({ waitMs: 0 });
    const until = performance.now() + 60;
    while (performance.now() < until) {
      // busy: the event loop cannot read the replies
    }
    const error = await stalled.catch((err: unknown) => err);
    // Whether the stalled client reads the grants ('validity') or its node timers first
    // ('unavailable'), it must not return the lease.
    expect(error).toBeInstanceOf(QuorumError);
    expect(['validity', 'unavailable']).toContain((error as QuorumError).reason);
    const key = `{${prefix}:q:stalled}`;
    await eventually(async () => {
      const exists = await Promise.all(clients.slice(1).map((c) => c.exists(key)));
      return exists.every((e) => e === 0);
    });
  });

  it('cleans every node after a release that followed a partial failure', async () => {
    await connect();
    const lock = lockstep.lock('partial', { ttlMs: 5_000 });
    const lease = await lock.acquire();
    servers[1]?.pause();
    expect(await lease.release()).toBe(true);
    servers[1]?.resume();
    const key = `{${prefix}:q:partial}`;
    // The release to the paused node was re-sent (its own retry policy) or queued on its connection.
    await eventually(async () => {
      const exists = await Promise.all(clients.map((c) => c.exists(key)));
      return exists.every((e) => e === 0);
    }, 5_000);
  });

  it('a lease that cannot be extended on a majority is lost, never extended on a minority', async () => {
    await connect();
    const lock = lockstep.lock('extend', { ttlMs: 600 });
    const lease = await lock.acquire({ autoExtend: true });
    const key = `{${prefix}:q:extend}`;
    // Another owner takes the key on three nodes behind our back.
    for (const c of clients.slice(0, 3)) await c.set(key, 'intruder', 'PX', 10_000);
    const reason = await new Promise((resolve) =>
      lease.signal.addEventListener('abort', () => resolve(lease.signal.reason)),
    );
    expect(reason).toMatchObject({ code: 'ERR_LEASE_LOST' });
    await expect(lease.extend()).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    for (const c of clients.slice(0, 3)) await c.del(key);
  });
});
