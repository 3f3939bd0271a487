// Review of the waiters mark (lock: a leading "w" on H; semaphore: M.q) and of the slimmed queue
// scripts. Each case builds an exact state with the scripts themselves and checks one guarantee:
// no newcomer overtakes a live queued waiter, fences strictly increase, every key keeps a TTL.
import { describe, expect, it } from 'vitest';
import { clusterLockstep, delay, standaloneLockstep } from '../../../test/support/fixtures.js';
import { runScript, STATUS } from '../src/redis/scripts.js';
import { keySet } from '../src/util/names.js';
import { lockAcquire as acquireScript } from './support/lock-scripts.js';

const TTL_MS = 20_000;
const LONG_WAITER_MS = 30_000;
const setups = { standalone: standaloneLockstep, cluster: clusterLockstep } as const;
type Setup = ReturnType<(typeof setups)[keyof typeof setups]>;

function lockKeys(setup: Setup, name: string): string[] {
  return [...keySet(setup.prefix, 'l', name).keys];
}

function semKeys(setup: Setup, name: string): string[] {
  return [...keySet(setup.prefix, 's', name).keys];
}

function lockAcquire(setup: Setup, keys: string[], id: string, wait: boolean, waiterTtlMs = LONG_WAITER_MS) {
  return acquireScript(setup.redis, keys, id, wait, { ttlMs: TTL_MS, waiterTtlMs });
}

// A fast grant to "holder", then waiters "a" and "b" queued behind it; returns the holder's fence.
async function heldWithTwoWaiters(setup: Setup, keys: string[]): Promise<string> {
  const fence = (await runScript(setup.redis, 'lockAcquireFast', keys.slice(0, 2), ['holder-token', TTL_MS])) as string;
  expect((await lockAcquire(setup, keys, 'a', true))[0]).toBe(STATUS.queued);
  expect((await lockAcquire(setup, keys, 'b', true))[0]).toBe(STATUS.queued);
  return fence;
}

// sem-acquire: [status, fence, ms, now, limit].
function semAcquire(
  setup: Setup,
  keys: string[],
  id: string,
  weight: number,
  limit: number,
  ttlMs: number,
  waiterTtlMs = LONG_WAITER_MS,
) {
  return runScript(setup.redis, 'semAcquire', keys, [
    id,
    `${id}-token`,
    weight,
    limit,
    ttlMs,
    '1',
    0,
    waiterTtlMs,
    -1,
    0,
  ]) as Promise<number[]>;
}

describe('the waiters mark under review', () => {
  for (const [where, make] of Object.entries(setups)) {
    // FINDING 1. Enqueue no longer purges dead waiters (only at maxWaiters, 10,000 by default), so
    // crashed waiters pile up at the head; serve_head gives up after PURGE_BUDGET purged plus
    // PURGE_BUDGET heads checked one by one and answers 'none', true. lock-release then frees the
    // lock without serving the live waiters behind, and lock-acquire's 'none' branch GRANTS the lock
    // to a newcomer while live waiters are queued. Before 9a68138 each of the five live waiters'
    // enqueues purged up to 64 dead ones (320 >= 300), so the release served the first live waiter.
    it(`${where} lock: a newcomer never overtakes live waiters queued behind many dead ones`, async () => {
      const setup = make();
      const keys = lockKeys(setup, 'graveyard');
      expect(typeof (await runScript(setup.redis, 'lockAcquireFast', keys.slice(0, 2), ['holder-token', TTL_MS]))).toBe(
        'string',
      );
      // 300 waiters that die at once (a fleet that lost its connection, or crash-looping workers).
      const ghosts = await Promise.all(
        Array.from({ length: 300 }, (_, i) => lockAcquire(setup, keys, `ghost-${i}`, true, 100)),
      );
      for (const g of ghosts) expect(g[0]).toBe(STATUS.queued);
      await delay(300);
      // Five live waiters queue behind them.
      for (let i = 0; i < 5; i++) expect((await lockAcquire(setup, keys, `live-${i}`, true))[0]).toBe(STATUS.queued);
      // The holder releases; then a newcomer tries.
      await runScript(setup.redis, 'lockRelease', keys, ['holder', 'holder-token']);
      const newcomer = await lockAcquire(setup, keys, 'newcomer', false);
      expect(newcomer[0]).not.toBe(STATUS.granted);
      // The lock went to the first live waiter.
      expect(await setup.redis.get(keys[0] as string)).toMatch(/:live-0-token$/);
    });

    // FINDING 2. ZPOPMIN deletes the queue key when it pops its only member; putting back a head that
    // does not fit recreates Q with ZADD, without a TTL, and sem_save only re-arms Q when x moves.
    // A waiter that then dies leaves Q behind for ever (M, H and D expire; nothing purges Q).
    it(`${where} semaphore: the queue key keeps a TTL when its only head does not fit (release)`, async () => {
      const setup = make();
      const keys = semKeys(setup, 'putback');
      const Q = keys[2] as string;
      // Limit 3: weight 1 and weight 2 held, a weight-2 waiter queued (it will die).
      expect((await semAcquire(setup, keys, 'light', 1, 3, TTL_MS))[0]).toBe(STATUS.granted);
      expect((await semAcquire(setup, keys, 'heavy', 2, 3, TTL_MS))[0]).toBe(STATUS.granted);
      expect((await semAcquire(setup, keys, 'waiter', 2, 3, TTL_MS))[0]).toBe(STATUS.queued);
      expect(await setup.redis.pttl(Q)).toBeGreaterThan(0);
      // One permit frees: the head (weight 2) is popped, does not fit, and is put back.
      expect(await runScript(setup.redis, 'semRelease', keys, ['light', 'light-token', 3])).toBe(STATUS.released);
      expect(await setup.redis.zcard(Q)).toBe(1);
      expect(await setup.redis.pttl(Q)).toBeGreaterThan(0);
    });

    it(`${where} semaphore: the queue key keeps a TTL when setLimit looks at a head that does not fit`, async () => {
      const setup = make();
      const keys = semKeys(setup, 'putback-limit');
      const Q = keys[2] as string;
      expect((await semAcquire(setup, keys, 'holder', 1, 1, 600))[0]).toBe(STATUS.granted);
      expect((await semAcquire(setup, keys, 'waiter', 1, 1, 600, 500))[0]).toBe(STATUS.queued);
      // setLimit scans the head of a full semaphore (to reject one made too heavy): popped, put back.
      await runScript(setup.redis, 'semSetLimit', keys, [1]);
      expect(await setup.redis.zcard(Q)).toBe(1);
      expect(await setup.redis.pttl(Q)).toBeGreaterThan(0);
      // Everybody dies: every key of the name must be gone once its TTLs have passed.
      await delay(3_500);
      expect(await setup.redis.exists(...keys.slice(0, 4))).toBe(0);
    });

    // Regression cases that pass: the mark survives each transition that leaves waiters queued.
    it(`${where} lock: a waiter that leaves while another waits keeps the mark, and the other is served`, async () => {
      const setup = make();
      const keys = lockKeys(setup, 'leave');
      const fence = await heldWithTwoWaiters(setup, keys);
      expect(await runScript(setup.redis, 'lockRelease', keys, ['a', 'a-token'])).toBe(STATUS.dequeued);
      expect(await setup.redis.get(keys[0] as string)).toBe(`w${fence}:holder-token`);
      expect(await runScript(setup.redis, 'lockReleaseFast', keys.slice(0, 2), ['holder-token', fence])).toBe(
        STATUS.contended,
      );
      expect(await runScript(setup.redis, 'lockAcquireFast', keys.slice(0, 2), ['n-token', TTL_MS])).toBe(STATUS.busy);
      const released = (await runScript(setup.redis, 'lockRelease', keys, ['holder', 'holder-token'])) as unknown[];
      expect(released[0]).toBe(STATUS.released);
      const value = (await setup.redis.get(keys[0] as string)) as string;
      expect(value).toMatch(/^\d+:b-token$/);
      expect(BigInt(value.split(':')[0] as string)).toBeGreaterThan(BigInt(fence));
    });

    it(`${where} lock: force-release with two waiters hands on under the mark; fences increase`, async () => {
      const setup = make();
      const keys = lockKeys(setup, 'forced');
      const fence = await heldWithTwoWaiters(setup, keys);
      expect(await runScript(setup.redis, 'lockForceRelease', keys, [''])).toBe(1);
      const value = (await setup.redis.get(keys[0] as string)) as string;
      expect(value).toMatch(/^w\d+:a-token$/);
      const fenceA = BigInt((value.match(/^w(\d+):/) as RegExpMatchArray)[1] as string);
      expect(fenceA).toBeGreaterThan(BigInt(fence));
      // a's claim lapses (it died): b, not a newcomer, gets the lock next.
      await setup.redis.pexpire(keys[0] as string, 1);
      await delay(20);
      expect(await runScript(setup.redis, 'lockAcquireFast', keys.slice(0, 2), ['n-token', TTL_MS])).toBe(
        STATUS.contended,
      );
      const n = await lockAcquire(setup, keys, 'n', false);
      expect(n[0]).toBe(STATUS.busy);
      const next = (await setup.redis.get(keys[0] as string)) as string;
      expect(next).toMatch(/^\d+:b-token$/);
      expect(BigInt(next.split(':')[0] as string)).toBeGreaterThan(fenceA);
    });

    it(`${where} lock: admin inspect and force-release by fence read a marked holder`, async () => {
      const setup = make();
      const lock = () => setup.lockstep.lock('admin-marked', { ttlMs: TTL_MS });
      const holder = await lock().acquire();
      const waiting = lock().acquire({ waitMs: 10_000 });
      const admin = setup.lockstep.admin();
      for (let i = 0; i < 500 && (await lock().inspect()).waiting < 1; i++) await delay(10);
      const keys = lockKeys(setup, 'admin-marked');
      expect(await setup.redis.get(keys[0] as string)).toMatch(/^w/);
      const detail = await admin.inspect('lock', 'admin-marked');
      expect(detail?.holderList[0]?.fence).toBe(holder.fence);
      expect(detail?.waiters).toBe(1);
      expect((await lock().inspect()).fence).toBe(holder.fence);
      expect(await admin.forceRelease('lock', 'admin-marked', { fence: holder.fence as number })).toBe(1);
      const next = await waiting;
      expect(next.fence).toBeGreaterThan(holder.fence as number);
      expect(await holder.release()).toBe(false);
      expect(await next.release()).toBe(true);
    });

    it(`${where} semaphore: a heavy head keeps M.q set; a fitting newcomer's fast path is refused`, async () => {
      const setup = make();
      const keys = semKeys(setup, 'heavy-head');
      expect((await semAcquire(setup, keys, 'h1', 2, 3, TTL_MS))[0]).toBe(STATUS.granted);
      expect((await semAcquire(setup, keys, 'w1', 2, 3, TTL_MS))[0]).toBe(STATUS.queued);
      // One permit is free, the head needs two: a weight-1 newcomer must not pass it.
      expect(await runScript(setup.redis, 'semAcquireFast', keys.slice(0, 2), ['n', 'n-token', 1, 3, TTL_MS])).toBe(
        STATUS.contended,
      );
      expect((await semAcquire(setup, keys, 'n2', 1, 3, TTL_MS))[0]).toBe(STATUS.queued);
      expect(await setup.redis.hget(keys[0] as string, 'q')).toBe('1');
      // Raising the limit serves both in order; the queue is then empty and the mark cleared.
      await runScript(setup.redis, 'semSetLimit', keys, [5]);
      expect(await setup.redis.hget(keys[0] as string, 'q')).toBe('0');
      expect(await setup.redis.exists(keys[2] as string)).toBe(0);
    });
  }
});
