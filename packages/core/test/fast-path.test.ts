// The uncontended path: an acquisition's first attempt runs a small script that only takes a free
// name nobody waits for, and a lease it granted is released by a small script that only works while
// nobody waits. These tests hold it to every guarantee of the full scripts at the edges where the
// two meet: a waiter arriving between the calls, a waiter left behind by an expired holder, fences
// across fast grants, hand-offs and a lost holder key, and the semaphore's healing of its counter.
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterLockstep, delay, eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import { Lockstep } from '../src/index.js';
import { runScript, STATUS } from '../src/redis/scripts.js';
import { keySet } from '../src/util/names.js';

const TTL_MS = 20_000;
const setups = { standalone: standaloneLockstep, cluster: clusterLockstep } as const;
type Setup = ReturnType<(typeof setups)[keyof typeof setups]>;

function limiter(setup: Setup, mode: 'lock' | 'semaphore', name: string, ttlMs = TTL_MS) {
  return mode === 'lock' ? setup.lockstep.lock(name, { ttlMs }) : setup.lockstep.semaphore(name, { limit: 1, ttlMs });
}

// A holder that will never release or extend: a process that died right after its grant.
async function ghostHolder(setup: Setup, mode: 'lock' | 'semaphore', name: string, ttlMs: number): Promise<void> {
  const keys = keySet(setup.prefix, mode === 'lock' ? 'l' : 's', name).keys;
  const reply =
    mode === 'lock'
      ? await runScript(setup.redis, 'lockAcquireFast', keys.slice(0, 2), ['ghost-token', ttlMs])
      : await runScript(setup.redis, 'semAcquireFast', keys.slice(0, 2), ['ghost', 'ghost-token', 1, 1, ttlMs]);
  expect(typeof reply).toBe('string');
}

describe('the uncontended fast path', () => {
  for (const [where, make] of Object.entries(setups)) {
    for (const mode of ['lock', 'semaphore'] as const) {
      it(`${where} ${mode}: a waiter that queues after a fast grant gets it at the release, not at expiry`, async () => {
        const setup = make();
        const holder = await limiter(setup, mode, 'arrive').acquire();
        const waiting = limiter(setup, mode, 'arrive').acquire({ waitMs: 10_000 });
        await eventually(async () => (await limiter(setup, mode, 'arrive').inspect()).waiting === 1);
        const released = Date.now();
        expect(await holder.release()).toBe(true);
        const next = await waiting;
        expect(Date.now() - released).toBeLessThan(TTL_MS / 4);
        expect(next.fence).toBeGreaterThan(holder.fence as number);
        expect(await next.release()).toBe(true);
        // Nobody waits any more: the next pair is uncontended again, with a higher fence.
        const again = await limiter(setup, mode, 'arrive').acquire();
        expect(again.fence).toBeGreaterThan(next.fence as number);
        expect(await again.release()).toBe(true);
      });

      it(`${where} ${mode}: a newcomer never overtakes a waiter left queued by an expired holder`, async () => {
        const setup = make();
        // The waiter must queue while the ghost still holds: a first wait on the cluster (its
        // subscriber included) was seen queued only after 150 ms under load, too close to 300 ms.
        const ghostMs = 1_000;
        const ghostAt = performance.now();
        await ghostHolder(setup, mode, 'orphaned', ghostMs);
        const waiting = limiter(setup, mode, 'orphaned').acquire({ waitMs: 10_000 });
        await eventually(async () => (await limiter(setup, mode, 'orphaned').inspect()).waiting === 1);
        await delay(Math.max(0, ghostAt + ghostMs + 100 - performance.now()));
        // The holder's lease is over and the queue is not empty: the name is the waiter's.
        expect(await limiter(setup, mode, 'orphaned').tryAcquire()).toBeNull();
        const lease = await waiting;
        expect(lease.held).toBe(true);
        expect(await limiter(setup, mode, 'orphaned').tryAcquire()).toBeNull();
        expect(await lease.release()).toBe(true);
      });

      it(`${where} ${mode}: fences strictly increase across fast grants, hand-offs and a lost holder key`, async () => {
        const setup = make();
        const fences: number[] = [];
        const take = async () => {
          const lease = await limiter(setup, mode, 'fences').acquire();
          fences.push(lease.fence as number);
          return lease;
        };
        await (await take()).release();
        await (await take()).release();
        // A hand-off through the queue.
        const first = await take();
        const waiting = limiter(setup, mode, 'fences').acquire({ waitMs: 10_000 });
        await eventually(async () => (await limiter(setup, mode, 'fences').inspect()).waiting === 1);
        await first.release();
        const handed = await waiting;
        fences.push(handed.fence as number);
        await handed.release();
        await (await take()).release();
        // The key that remembers the last fence is lost (an eviction, a DEL, a restart without data).
        const keys = keySet(setup.prefix, mode === 'lock' ? 'l' : 's', 'fences').keys;
        await setup.redis.del(keys[0] as string);
        if (mode === 'semaphore') await setup.redis.del(keys[1] as string);
        await (await take()).release();
        await (await take()).release();
        for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1] as number);
      });

      it(`${where} ${mode}: a fast grant counts up from a remembered fence ahead of the clock`, async () => {
        const setup = make();
        const keys = keySet(setup.prefix, mode === 'lock' ? 'l' : 's', 'ahead').keys;
        // Fences ahead of the server clock (as after a clock step back): 1 and 9 as last digits.
        for (const last of [1n, 9n]) {
          const ahead = ((BigInt(Date.now()) * 1000n + 10n ** 10n) / 10n) * 10n + last;
          if (mode === 'lock') {
            await setup.redis.set(keys[0] as string, `${ahead}:`, 'PX', TTL_MS);
          } else {
            await setup.redis.hset(keys[0] as string, 'f', `${ahead}`);
            await setup.redis.pexpire(keys[0] as string, TTL_MS);
          }
          const lease = await limiter(setup, mode, 'ahead').acquire();
          expect(lease.fence).toBe(Number(ahead + 1n));
          await lease.release();
        }
      });
    }

    it(`${where} lock: releasing an expired fast grant leaves the next holder's lease, or no key, as it was`, async () => {
      const setup = make();
      const keys = keySet(setup.prefix, 'l', 'expired').keys;
      const lock = () => setup.lockstep.lock('expired', { ttlMs: 150 });
      // The name was taken by another caller after the first lease expired.
      const first = await lock().acquire();
      await delay(250);
      // The next holder's lease is long: the checks below take several calls, and a 150 ms lease
      // could run out during them on a loaded machine.
      const second = await setup.lockstep.lock('expired', { ttlMs: TTL_MS }).acquire();
      const value = await setup.redis.get(keys[0] as string);
      const ttl = await setup.redis.pttl(keys[0] as string);
      expect(await first.release()).toBe(false);
      expect(await setup.redis.get(keys[0] as string)).toBe(value);
      expect(await setup.redis.pttl(keys[0] as string)).toBeLessThanOrEqual(ttl);
      expect(await setup.redis.pttl(keys[0] as string)).toBeGreaterThan(0);
      expect(await second.release()).toBe(true);
      // Nobody took it, and its key is gone.
      const third = await lock().acquire();
      await setup.redis.del(keys[0] as string);
      expect(await third.release()).toBe(false);
      expect(await setup.redis.exists(keys[0] as string)).toBe(0);
    });

    it(`${where} lock: a newcomer's fast path never overtakes the waiters left after a hand-off`, async () => {
      const setup = make();
      const lock = () => setup.lockstep.lock('relay', { ttlMs: TTL_MS });
      const keys = keySet(setup.prefix, 'l', 'relay').keys;
      const newcomer = () => runScript(setup.redis, 'lockAcquireFast', keys.slice(0, 2), ['newcomer', TTL_MS]);
      const holder = await lock().acquire();
      const first = lock().acquire({ waitMs: 10_000 });
      await eventually(async () => (await lock().inspect()).waiting === 1);
      const second = lock().acquire({ waitMs: 10_000 });
      await eventually(async () => (await lock().inspect()).waiting === 2);
      // A fast release sees the waiters (the mark on H) and changes nothing; the full one hands on.
      expect(
        await runScript(setup.redis, 'lockReleaseFast', keys.slice(0, 2), [holder.token, String(holder.fence)]),
      ).toBe(STATUS.contended);
      expect(await holder.release()).toBe(true);
      const a = await first;
      // One waiter is left: its place is marked on H, so the first waiter's release hands on too.
      expect(await a.release()).toBe(true);
      expect(typeof (await newcomer())).not.toBe('string');
      const released = Date.now();
      const b = await second;
      expect(Date.now() - released).toBeLessThan(TTL_MS / 4);
      expect(b.fence).toBeGreaterThan(a.fence as number);
      expect(a.fence).toBeGreaterThan(holder.fence as number);
      expect(await b.release()).toBe(true);
      // Nobody waits: the mark is gone, and the fast path takes the name again.
      expect(await setup.redis.get(keys[0] as string)).toMatch(/^\d+:$/);
      expect(typeof (await newcomer())).toBe('string');
    });

    it(`${where} lock: fences count up from a remembered fence ahead of the clock while waiters queue`, async () => {
      const setup = make();
      const lock = () => setup.lockstep.lock('marked', { ttlMs: TTL_MS });
      const keys = keySet(setup.prefix, 'l', 'marked').keys;
      const holder = await lock().acquire();
      const waiting = lock().acquire({ waitMs: 10_000 });
      await eventually(async () => (await lock().inspect()).waiting === 1);
      // A fence ahead of the server clock (as after a clock step back), under the waiters mark.
      const ahead = BigInt(Date.now()) * 1000n + 10n ** 10n;
      const value = await setup.redis.get(keys[0] as string);
      expect(value).toBe(`w${holder.fence}:${holder.token}`);
      await setup.redis.set(keys[0] as string, `w${ahead}:${holder.token}`, 'KEEPTTL');
      expect((await lock().inspect()).fence).toBe(Number(ahead));
      expect(await holder.release()).toBe(true);
      const next = await waiting;
      expect(next.fence).toBe(Number(ahead + 1n));
      expect(await next.release()).toBe(true);
      const again = await lock().acquire();
      expect(again.fence).toBe(Number(ahead + 2n));
      expect(await again.release()).toBe(true);
    });

    it(`${where} lock: a waiter that gives up leaves a stale mark, which the next release clears`, async () => {
      const setup = make();
      const lock = () => setup.lockstep.lock('stale', { ttlMs: TTL_MS });
      const keys = keySet(setup.prefix, 'l', 'stale').keys;
      const holder = await lock().acquire();
      const controller = new AbortController();
      const waiting = lock().acquire({ waitMs: 10_000, signal: controller.signal });
      await eventually(async () => (await lock().inspect()).waiting === 1);
      controller.abort();
      await expect(waiting).rejects.toThrow();
      await eventually(async () => (await setup.redis.exists(keys[1] as string)) === 0);
      expect(await setup.redis.get(keys[0] as string)).toMatch(/^w/);
      expect(await holder.release()).toBe(true);
      expect(await setup.redis.get(keys[0] as string)).toBe(`${holder.fence}:`);
      const again = await lock().acquire();
      expect(again.fence).toBeGreaterThan(holder.fence as number);
      expect(await again.release()).toBe(true);
    });

    it(`${where} semaphore: the waiters mark keeps the fast path off a queued name until the queue is gone`, async () => {
      const setup = make();
      const semaphore = () => setup.lockstep.semaphore('mark', { limit: 1, ttlMs: TTL_MS });
      const keys = keySet(setup.prefix, 's', 'mark').keys;
      const newcomer = (i: number) =>
        runScript(setup.redis, 'semAcquireFast', keys.slice(0, 2), [`new-${i}`, `new-token-${i}`, 1, 1, TTL_MS]);
      const holder = await semaphore().acquire();
      const waiting = semaphore().acquire({ waitMs: 10_000 });
      await eventually(async () => (await semaphore().inspect()).waiting === 1);
      expect(await setup.redis.hget(keys[0] as string, 'q')).toBe('1');
      expect(await newcomer(1)).toBe(STATUS.contended);
      expect(await holder.release()).toBe(true);
      const next = await waiting;
      expect(next.fence).toBeGreaterThan(holder.fence as number);
      expect(await newcomer(2)).toBe(STATUS.contended);
      expect(await next.release()).toBe(true);
      // The release that found the queue empty cleared the mark: the fast path grants again.
      expect(await setup.redis.hget(keys[0] as string, 'q')).toBe('0');
      const fence = await newcomer(3);
      expect(typeof fence).toBe('string');
      expect(Number(fence)).toBeGreaterThan(next.fence as number);
    });

    it(`${where} semaphore: a waiter that gives up leaves a stale mark, which the next release clears`, async () => {
      const setup = make();
      const semaphore = () => setup.lockstep.semaphore('stale', { limit: 1, ttlMs: TTL_MS });
      const keys = keySet(setup.prefix, 's', 'stale').keys;
      const holder = await semaphore().acquire();
      const controller = new AbortController();
      const waiting = semaphore().acquire({ waitMs: 10_000, signal: controller.signal });
      await eventually(async () => (await semaphore().inspect()).waiting === 1);
      controller.abort();
      await expect(waiting).rejects.toThrow();
      await eventually(async () => (await setup.redis.exists(keys[2] as string)) === 0);
      expect(await holder.release()).toBe(true);
      expect(await setup.redis.hget(keys[0] as string, 'q')).toBe('0');
      expect((await semaphore().inspect()).used).toBe(0);
      const again = await semaphore().acquire();
      expect(again.fence).toBeGreaterThan(holder.fence as number);
      expect(await again.release()).toBe(true);
    });

    it(`${where} semaphore: a head that does not fit keeps its place, and blocks lighter waiters behind it`, async () => {
      const setup = make();
      const semaphore = () => setup.lockstep.semaphore('heavy', { limit: 3, ttlMs: TTL_MS });
      const light = await semaphore().acquire({ weight: 1 });
      const heavy = await semaphore().acquire({ weight: 2 });
      const order: string[] = [];
      const queue = (weight: number, name: string) =>
        semaphore()
          .acquire({ weight, waitMs: 10_000 })
          .then((lease) => {
            order.push(name);
            return lease;
          });
      const first = queue(3, 'first');
      await eventually(async () => (await semaphore().inspect()).waiting === 1);
      const second = queue(1, 'second');
      await eventually(async () => (await semaphore().inspect()).waiting === 2);
      // One permit frees, two are held: the head (weight 3) is looked at, does not fit, and stays.
      expect(await light.release()).toBe(true);
      await delay(100);
      expect(order).toEqual([]);
      expect(await semaphore().inspect()).toMatchObject({ used: 2, waiting: 2 });
      expect(await heavy.release()).toBe(true);
      const a = await first;
      expect(order).toEqual(['first']);
      expect(await a.release()).toBe(true);
      const b = await second;
      expect(order).toEqual(['first', 'second']);
      expect(await b.release()).toBe(true);
    });

    it(`${where} semaphore: a fast grant heals the permit count after the holders key vanished`, async () => {
      const setup = make();
      const semaphore = () => setup.lockstep.semaphore('healed', { limit: 2, ttlMs: TTL_MS });
      const lost = await semaphore().acquire();
      const keys = keySet(setup.prefix, 's', 'healed').keys;
      await setup.redis.del(keys[1] as string);
      const a = await semaphore().acquire();
      expect((await semaphore().inspect()).used).toBe(1);
      const b = await semaphore().acquire();
      expect(await semaphore().tryAcquire()).toBeNull();
      expect(await setup.redis.pttl(keys[1] as string)).toBeGreaterThan(0);
      // The permits whose entry vanished are not held any more.
      expect(await lost.release()).toBe(false);
      expect(await a.release()).toBe(true);
      expect(await b.release()).toBe(true);
      expect((await semaphore().inspect()).used).toBe(0);
    });

    it(`${where} semaphore: weighted fast grants and releases keep the permit count and the records exact`, async () => {
      const setup = make();
      const semaphore = () => setup.lockstep.semaphore('weighted', { limit: 10, ttlMs: TTL_MS });
      const [meta, holders] = keySet(setup.prefix, 's', 'weighted').keys as [string, string];
      const used = () => setup.redis.hget(meta, 'u');
      const two = await semaphore().acquire({ weight: 2 });
      expect(await used()).toBe('2');
      const three = await semaphore().acquire({ weight: 3 });
      const five = await semaphore().acquire({ weight: 5 });
      expect(await used()).toBe('10');
      expect(await semaphore().tryAcquire()).toBeNull();
      // Records as the full scripts write them: "h|token|weight|fence|sinceMs".
      const records = Object.values(await setup.redis.hgetall(meta)).filter((v) => v.startsWith('h|'));
      expect(records.map((r) => r.split('|')[2]).sort()).toEqual(['2', '3', '5']);
      expect(await three.release()).toBe(true);
      expect(await used()).toBe('7');
      expect(await five.release()).toBe(true);
      expect(await used()).toBe('2');
      // The last holder's release drops the counter with its record: no 'u' means 0.
      expect(await two.release()).toBe(true);
      expect(await used()).toBeNull();
      expect(await setup.redis.zcard(holders)).toBe(0);
      // The full release script reads the fast records the same way.
      const heavy = await semaphore().acquire({ weight: 4 });
      const queued = semaphore().acquire({ weight: 7 });
      await eventually(async () => (await setup.redis.hget(meta, 'q')) === '1');
      expect(await heavy.release()).toBe(true);
      const next = await queued;
      expect(await used()).toBe('7');
      expect(await next.release()).toBe(true);
      expect((await semaphore().inspect()).used).toBe(0);
    });
  }

  describe('a try on a full semaphore', () => {
    // Commands are counted server-wide: this test has a server of its own, where no other test
    // file's scripts can land between the reset and the count.
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server?.stop();
    });
    const evalshaCalls = async (redis: Redis) =>
      Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(await redis.info('commandstats'))?.[1] ?? 0);

    it('is answered by the fast script alone while every holder is alive', async () => {
      const redis = new Redis({ port: server.port });
      const lockstep = new Lockstep({ redis, prefix: uniquePrefix('fp') });
      const semaphore = () => lockstep.semaphore('full', { limit: 2, ttlMs: TTL_MS });
      const a = await semaphore().acquire();
      const b = await semaphore().acquire({ weight: 1 });
      await redis.config('RESETSTAT');
      expect(await semaphore().tryAcquire()).toBeNull();
      expect(
        await semaphore()
          .acquire({ waitMs: 0 })
          .catch((e: { code: string }) => e.code),
      ).toBe('ERR_ACQUIRE_TIMEOUT');
      // One script each: the full script is not run.
      expect(await evalshaCalls(redis)).toBe(2);
      expect(await a.release()).toBe(true);
      const c = await semaphore().tryAcquire();
      expect(c).not.toBeNull();
      await c?.release();
      await b.release();
      await lockstep.close();
      redis.disconnect();
    });

    it('still purges an expired holder, and still reports a weight above the limit in effect', async () => {
      const setup = standaloneLockstep();
      const semaphore = () => setup.lockstep.semaphore('expired', { limit: 3, ttlMs: TTL_MS });
      await ghostHolder(setup, 'semaphore', 'expired', 50);
      const live = await semaphore().acquire({ weight: 2 });
      await delay(120);
      // The ghost's permit expired: the try goes on to the full script, which purges and grants it.
      const granted = await semaphore().tryAcquire();
      expect(granted).not.toBeNull();
      // A limit lowered below the weight: too heavy, not busy (the full script says so).
      await semaphore().setLimit(1);
      await expect(semaphore().tryAcquire({ weight: 2 })).rejects.toMatchObject({ code: 'ERR_WEIGHT_EXCEEDS_LIMIT' });
      await granted?.release();
      await live.release();
    });
  });
});
