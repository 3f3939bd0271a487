// Crash safety and races, with real processes killed by pid: permits of dead holders come back
// within their TTL, dead waiters are purged and never granted, and aborts or timeouts racing a
// grant never leak a permit.
import { randomInt } from 'node:crypto';
import { keysWithoutTtl, type RedisServer, scanKeys, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { standalonePort } from '@lockstep/test-utils/context';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lockstep } from '../packages/core/src/index.js';
import { delay, eventually, standaloneLockstep } from './support/fixtures.js';
import { startHolder } from './support/workers.js';

/** Reclaim margins measured in this file, printed at the end (TTL plus this much). */
const margins: Record<string, number> = {};
afterAll(() => {
  console.log(`reclaim margins beyond TTL (ms): ${JSON.stringify(margins)}`);
});

describe('holder crash', () => {
  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: a killed holder's ${mode === 'lock' ? 'lock' : 'permits'} come back within TTL plus a small margin`, async () => {
      const { lockstep, prefix } = standaloneLockstep();
      const ttlMs = 1_500;
      const holder = startHolder({
        port: standalonePort(),
        prefix,
        mode,
        name: 'crash',
        limit: 3,
        weight: 2,
        ttlMs,
        autoExtend: true,
        waitMs: 10_000,
      });
      await holder.waitFor('held');
      // Let auto-extension run a few times, so the deadline is a refreshed one.
      await delay(ttlMs);
      const waiting =
        mode === 'lock'
          ? lockstep.lock('crash', { ttlMs }).acquire({ waitMs: 20_000 })
          : lockstep.semaphore('crash', { limit: 3, ttlMs }).acquire({ weight: 3, waitMs: 20_000 });
      await delay(100);
      const killed = performance.now();
      await holder.kill();
      const lease = await waiting;
      const reclaim = performance.now() - killed;
      margins[mode] = Math.round(reclaim - ttlMs);
      expect(reclaim).toBeLessThanOrEqual(ttlMs + 1_000);
      await lease.release();
    });
  }
});

describe('waiter crash', () => {
  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: a killed waiter is purged and never granted`, async () => {
      const { lockstep, prefix } = standaloneLockstep();
      const make = () =>
        mode === 'lock'
          ? lockstep.lock('dead-waiter', { ttlMs: 10_000 })
          : lockstep.semaphore('dead-waiter', { limit: 1, ttlMs: 10_000 });
      const blocker = await make().acquire();
      const waiter = startHolder({
        port: standalonePort(),
        prefix,
        mode,
        name: 'dead-waiter',
        limit: 1,
        ttlMs: 10_000,
        waiterTtlMs: 600,
        waitMs: 60_000,
      });
      await waiter.waitFor('started');
      await eventually(async () => (await make().inspect()).waiters.length === 1, 10_000);
      await waiter.kill();
      // Its heartbeat deadline passes: it drops out of the live view at once...
      await eventually(async () => (await make().inspect()).waiters.length === 0, 5_000);
      // ...and the next transition purges it, so the freed lock or permit is not handed to it.
      await blocker.release();
      const state = await make().inspect();
      if ('used' in state) expect(state.used).toBe(0);
      else expect(state.held).toBe(false);
      expect(state.waiting).toBe(0);
      const next = await make().tryAcquire();
      expect(next).not.toBeNull();
      await next?.release();
    });
  }
});

describe('aborts and timeouts racing grants', () => {
  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: 150 rounds never lose or leak a permit`, async () => {
      const { lockstep, redis, prefix } = standaloneLockstep();
      const make = () =>
        mode === 'lock'
          ? lockstep.lock('race', { ttlMs: 5_000 })
          : lockstep.semaphore('race', { limit: 1, ttlMs: 5_000 });
      let granted = 0;
      let gaveUp = 0;
      for (let round = 0; round < 150; round++) {
        const holder = await make().acquire();
        const controller = new AbortController();
        const useAbort = round % 2 === 0;
        const waitMs = randomInt(1, 8);
        const waiter = make()
          .acquire(useAbort ? { waitMs: 5_000, signal: controller.signal } : { waitMs })
          .then(
            async (lease) => {
              granted++;
              await lease.release();
            },
            (err: { code?: string }) => {
              expect(['ERR_ABORTED', 'ERR_ACQUIRE_TIMEOUT']).toContain(err.code);
              gaveUp++;
            },
          );
        // Release right around the moment the waiter gives up.
        const at = randomInt(0, 8);
        setTimeout(() => controller.abort(), randomInt(0, 8));
        await delay(at);
        await holder.release();
        await waiter;
        // Whatever happened, the permit is free again (a grant given up is passed back).
        await eventually(async () => {
          const state = await make().inspect();
          return ('used' in state ? state.used === 0 : !state.held) && state.waiting === 0;
        }, 2_000);
      }
      expect(granted + gaveUp).toBe(150);
      expect(granted).toBeGreaterThan(0);
      expect(gaveUp).toBeGreaterThan(0);
      expect(await keysWithoutTtl(redis, `*${prefix}*`)).toEqual([]);
    }, 120_000);
  }
});

describe('server restart mid-run', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a wait ends close to waitMs with ERR_REDIS when Redis stalls, not after the request timeout', async () => {
    const redis = new Redis({ port: server.port });
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('stall'), requestTimeoutMs: 5_000 });
    await redis.ping();
    server.pause();
    const started = performance.now();
    try {
      const error = await lockstep
        .lock('stalled', { ttlMs: 10_000 })
        .acquire({ waitMs: 300 })
        .catch((err: unknown) => err);
      expect(error).toMatchObject({ code: 'ERR_REDIS', indeterminate: true });
      // waitMs, plus the last attempt's minimum of 100 ms, plus the deadline timer's tick.
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      server.resume();
    }
    await lockstep.close();
    redis.disconnect();
  });

  it('an outage that begins while a waiter sleeps ends its wait as ERR_REDIS, not as contention', async () => {
    const redis = new Redis({ port: server.port });
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('sleep') });
    const lock = lockstep.lock('held', { ttlMs: 30_000 });
    const holder = await lock.acquire();
    const waiting = lock.acquire({ waitMs: 800 }).catch((err: unknown) => err);
    await eventually(async () => (await lock.inspect()).waiting === 1);
    // Paused at once: the waiter's push subscription may not even be made yet, and that must not
    // hold the wait past waitMs either.
    server.pause();
    try {
      expect(await waiting).toMatchObject({ code: 'ERR_REDIS' });
    } finally {
      server.resume();
    }
    await holder.release();
    await lockstep.close();
    redis.disconnect();
  });

  it('acquisitions ride through a restart with no error reaching the caller', async () => {
    const redis = new Redis({ port: server.port, retryStrategy: () => 50 });
    redis.on('error', () => undefined);
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('rs') });
    const lock = lockstep.lock('restart', { ttlMs: 2_000 });
    let stop = false;
    let grants = 0;
    const errors: unknown[] = [];
    const worker = async () => {
      while (!stop) {
        try {
          const lease = await lock.acquire({ waitMs: 15_000 });
          grants++;
          await delay(1);
          // A lease held across the restart is gone: release reports false, it does not throw.
          await lease.release();
        } catch (err) {
          errors.push(err);
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await eventually(() => grants > 50);
    await server.restart();
    const before = grants;
    await eventually(() => grants > before + 50, 15_000);
    stop = true;
    await Promise.all(workers);
    expect(errors).toEqual([]);
    expect(await scanKeys(redis, '*:q')).toEqual([]);
    await lockstep.close();
    redis.disconnect();
  });
});
