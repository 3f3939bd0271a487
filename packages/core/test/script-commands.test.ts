// How scripts reach Redis: EVALSHA, EVAL after NOSCRIPT, and ioredis' auto-pipelining honoured.
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Lease, Lockstep } from '../src/index.js';
import { LUA_SCRIPTS } from '../src/lua/scripts.generated.js';
import { batchWrites, flushWrites } from '../src/redis/write-batch.js';

function stat(info: string, name: string): number {
  return Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
}

function calls(info: string, command: string): number {
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

describe('script commands', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const client = (options: { enableAutoPipelining?: boolean } = {}) => {
    const redis = new Redis({ port: server.port, ...options });
    clients.push(redis);
    return redis;
  };
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(() => {
    for (const redis of clients.splice(0)) redis.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs EVALSHA, and EVAL once after SCRIPT FLUSH, then EVALSHA again', async () => {
    const admin = client();
    const lockstep = new Lockstep({ redis: client(), prefix: uniquePrefix('sc') });
    const lock = lockstep.lock('a');
    await (await lock.acquire()).release();
    await admin.script('FLUSH');
    await admin.config('RESETSTAT');
    await (await lock.acquire()).release();
    const info = await admin.info('commandstats');
    // Acquire: NOSCRIPT then EVAL (which loads it); release: the same for its own script.
    expect(calls(info, 'eval')).toBe(2);
    expect(calls(info, 'evalsha')).toBe(2);
    await admin.config('RESETSTAT');
    await (await lock.acquire()).release();
    const again = await admin.info('commandstats');
    expect(calls(again, 'eval')).toBe(0);
    expect(calls(again, 'evalsha')).toBe(2);
    await lockstep.close();
  });

  it("batches a tick's scripts into few reads on a client with enableAutoPipelining", async () => {
    const admin = client();
    const pairs = async (redis: Redis) => {
      const lockstep = new Lockstep({ redis, prefix: uniquePrefix('ap') });
      await (await lockstep.lock('warm').acquire()).release();
      const before = stat(await admin.info('stats'), 'total_reads_processed');
      const leases = await Promise.all(Array.from({ length: 50 }, (_, i) => lockstep.lock(`n${i}`).acquire()));
      await Promise.all(leases.map((lease) => lease.release()));
      // Minus the INFO call that reads the figure.
      const reads = stat(await admin.info('stats'), 'total_reads_processed') - before - 1;
      await lockstep.close();
      return reads;
    };
    const pipelined = await pairs(client({ enableAutoPipelining: true }));
    // 100 scripts (50 acquires, then 50 releases): two batches, read in a few reads.
    expect(pipelined).toBeLessThanOrEqual(20);
    // On a plain client Lockstep writes the scripts of one tick together too, eight at a time
    // (write-batch.ts).
    expect(await pairs(client())).toBeLessThanOrEqual(20);
  });

  it('sends the scripts of one tick in few writes on a plain client, and each alone across ticks', async () => {
    const admin = client();
    const redis = client();
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('wb') });
    await (await lockstep.lock('warm').acquire()).release();
    const reads = async (run: () => Promise<unknown>) => {
      const before = stat(await admin.info('stats'), 'total_reads_processed');
      await run();
      return stat(await admin.info('stats'), 'total_reads_processed') - before - 1;
    };
    // 50 acquisitions started in one tick: their first scripts go out in writes of eight.
    const together = await reads(async () => {
      const leases = await Promise.all(Array.from({ length: 50 }, (_, i) => lockstep.lock(`t${i}`).acquire()));
      await Promise.all(leases.map((lease) => lease.release()));
    });
    // One after another: every script is its own write (and read).
    const apart = await reads(async () => {
      for (let i = 0; i < 20; i++) await (await lockstep.lock(`a${i}`).acquire()).release();
    });
    expect(together).toBeLessThanOrEqual(20);
    expect(apart).toBeGreaterThanOrEqual(40);
    await lockstep.close();
  });

  it('writes a burst in chunks of eight scripts, so Redis starts on the first while the rest are made', async () => {
    const redis = client();
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('wc') });
    // Two bursts: the first tick after a lone caller's pair corks from its second script.
    await (await lockstep.lock('warm').acquire()).release();
    await Promise.all(Array.from({ length: 4 }, (_, i) => lockstep.lock(`w${i}`).acquire()));
    // Scripts per socket write (a spy on the real socket's writev; writes go through).
    const perWrite: number[] = [];
    const stream = redis.stream as typeof redis.stream & {
      _writev: (chunks: { chunk: unknown }[], cb: unknown) => void;
    };
    const writev = stream._writev.bind(stream);
    stream._writev = (chunks, cb) => {
      perWrite.push(chunks.filter(({ chunk }) => String(chunk).toLowerCase().includes('evalsha')).length);
      writev(chunks, cb);
    };
    const leases = await Promise.all(Array.from({ length: 64 }, (_, i) => lockstep.lock(`c${i}`).acquire()));
    expect(perWrite.reduce((a, b) => a + b, 0)).toBe(64);
    expect(Math.max(...perWrite)).toBe(8);
    expect(perWrite.length).toBe(8);
    await Promise.all(leases.map((lease) => lease.release()));
    await lockstep.close();
  });

  it('sends the scripts of separate callbacks of one event-loop turn together (requests of a server)', async () => {
    const redis = client();
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('wt') });
    // A burst first, so the next turn is not taken for a lone caller's.
    const warm = await Promise.all(Array.from({ length: 20 }, (_, i) => lockstep.lock(`w${i}`).acquire()));
    await Promise.all(warm.map((lease) => lease.release()));
    // Scripts per socket write (spies on the real socket; writes go through).
    const perWrite: number[] = [];
    const stream = redis.stream as typeof redis.stream & {
      _writev: (chunks: { chunk: unknown }[], cb: unknown) => void;
      _write: (chunk: unknown, encoding: unknown, cb: unknown) => void;
    };
    const writev = stream._writev.bind(stream);
    const write = stream._write.bind(stream);
    const scripts = (chunk: unknown) => (String(chunk).toLowerCase().includes('evalsha') ? 1 : 0);
    stream._writev = (chunks, cb) => {
      perWrite.push(chunks.reduce((n, { chunk }) => n + scripts(chunk), 0));
      writev(chunks, cb);
    };
    stream._write = (chunk, encoding, cb) => {
      perWrite.push(scripts(chunk));
      write(chunk, encoding, cb);
    };
    // Four callbacks of one turn, each its own tick (as four HTTP requests read in one poll phase).
    const leases = await new Promise<Lease[]>((resolve) => {
      const started: Promise<Lease>[] = [];
      for (let i = 0; i < 4; i++) setImmediate(() => started.push(lockstep.lock(`t${i}`).acquire()));
      setImmediate(() => resolve(Promise.all(started)));
    });
    expect(perWrite.filter((n) => n > 0)).toEqual([4]);
    await Promise.all(leases.map((lease) => lease.release()));
    await lockstep.close();
  });

  it('writes the scripts of a lone caller at once, uncorked, and corks from the first script under load', async () => {
    const redis = client();
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('wl') });
    await (await lockstep.lock('warm').acquire()).release();
    // Whether the socket was corked at each write (a spy on the real socket; writes go through).
    const corkedAtWrite: number[] = [];
    const stream = redis.stream;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((...args: unknown[]) => {
      corkedAtWrite.push(stream.writableCorked);
      return write(...args);
    }) as typeof stream.write;
    for (let i = 0; i < 10; i++) await (await lockstep.lock(`lone${i}`).acquire()).release();
    expect(corkedAtWrite).toEqual(Array(20).fill(0));
    corkedAtWrite.length = 0;
    // A burst: from the second script of the tick on (the first found nothing in flight), and on
    // every script of the next bursts, which follow a tick that carried many.
    for (let round = 0; round < 3; round++) {
      const leases = await Promise.all(Array.from({ length: 20 }, (_, i) => lockstep.lock(`b${round}.${i}`).acquire()));
      await Promise.all(leases.map((lease) => lease.release()));
    }
    expect(corkedAtWrite).toHaveLength(120);
    expect(corkedAtWrite.filter((corked) => corked === 0).length).toBeLessThanOrEqual(1);
    await lockstep.close();
  });

  it('writes a script a waiter depends on at once, even right after a batched tick', async () => {
    const redis = client();
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('wq') });
    const held = await lockstep.lock('busy').acquire();
    // Which scripts were written while the socket was corked (a spy on the real socket).
    const writes: { corked: number; full: boolean }[] = [];
    const stream = redis.stream;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    const fullSha = LUA_SCRIPTS.lockAcquire.sha;
    stream.write = ((data: unknown, ...rest: unknown[]) => {
      writes.push({ corked: stream.writableCorked, full: String(data).includes(fullSha) });
      return write(data, ...rest);
    }) as typeof stream.write;
    // Each round: uncontended acquisitions in one tick, batched, and a wait on the held lock. The
    // wait's queued acquire is sent alone in a later tick, after a tick that carried many: it is
    // written at once all the same.
    const waits: Promise<Lease>[] = [];
    for (let round = 0; round < 3; round++) {
      const leases = Promise.all(Array.from({ length: 10 }, (_, i) => lockstep.lock(`f${round}.${i}`).acquire()));
      waits.push(lockstep.lock('busy').acquire({ waitMs: 5_000 }));
      await Promise.all((await leases).map((lease) => lease.release()));
    }
    await held.release();
    for (const wait of waits) await (await wait).release();
    const full = writes.filter((w) => w.full);
    expect(full.length).toBeGreaterThanOrEqual(3);
    expect(full.every((w) => w.corked === 0)).toBe(true);
    expect(writes.filter((w) => !w.full && w.corked > 0).length).toBeGreaterThan(20);
    await lockstep.close();
  });

  it('counts one tick once when a queue script flushes it midway', async () => {
    const redis = client();
    await redis.ping();
    const corkedAt = new Map<string, number>();
    const stream = redis.stream;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((data: unknown, ...rest: unknown[]) => {
      const key = /wbt:(\w)/.exec(String(data))?.[1];
      if (key !== undefined) corkedAt.set(key, stream.writableCorked);
      return write(data, ...rest);
    }) as typeof stream.write;
    const fast = (key: string) => {
      batchWrites(redis);
      return redis.get(`wbt:${key}`);
    };
    // One tick: two fast commands (corked), one a hand-off depends on (flushed, written at once),
    // one more fast command (corked again). The tick carried three fast commands.
    const tick = [fast('a'), fast('b')];
    flushWrites(redis);
    tick.push(redis.get('wbt:c'), fast('d'));
    await Promise.all(tick);
    expect([...corkedAt]).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 0],
      ['d', 1],
    ]);
    // Nothing is in flight now, but the last tick was not a lone caller's: the next fast command
    // is corked. (Counting the tick in two halves recorded one command, and this one went alone.)
    await fast('e');
    expect(corkedAt.get('e')).toBe(1);
  });

  it('absorbs SCRIPT FLUSH on an auto-pipelining client', async () => {
    const admin = client();
    const lockstep = new Lockstep({ redis: client({ enableAutoPipelining: true }), prefix: uniquePrefix('apf') });
    const lock = lockstep.lock('flush');
    for (let i = 0; i < 6; i++) {
      if (i % 2 === 0) await admin.script('FLUSH');
      const lease = await lock.acquire();
      await lease.extend();
      expect(await lease.release()).toBe(true);
    }
    await lockstep.close();
  });
});
