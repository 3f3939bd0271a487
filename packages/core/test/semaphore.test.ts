import { scanKeys } from '@lockstep/test-utils';
import { describe, expect, it } from 'vitest';
import { delay, eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import type { Lease } from '../src/index.js';

describe('semaphore on a standalone Redis', () => {
  it('grants up to the limit, then queues; a release hands the permit over', async () => {
    const { lockstep } = standaloneLockstep();
    const sem = lockstep.semaphore('pool', { limit: 3 });
    const held = [await sem.acquire(), await sem.acquire(), await sem.acquire()];
    expect(await sem.tryAcquire()).toBeNull();
    const state = await sem.inspect();
    expect(state.used).toBe(3);
    expect(state.holders).toHaveLength(3);
    const waiting = sem.acquire({ waitMs: 5_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    await held[0]?.release();
    const next = await waiting;
    expect(next.fence).toBeGreaterThan(held[2]?.fence as number);
    for (const lease of [...held.slice(1), next]) await lease.release();
    expect((await sem.inspect()).used).toBe(0);
  });

  it('serves waiters by priority, then FIFO within a priority', async () => {
    const { lockstep } = standaloneLockstep();
    const sem = lockstep.semaphore('order', { limit: 1, ttlMs: 30_000 });
    const blocker = await sem.acquire();
    const plan = [0, 5, 0, 10, 5, -1, 10, 0];
    const granted: number[] = [];
    const waiters: Promise<Lease>[] = [];
    for (const [i, priority] of plan.entries()) {
      waiters.push(
        sem.acquire({ priority, waitMs: 20_000 }).then((lease) => {
          granted.push(i);
          return lease;
        }),
      );
      await eventually(async () => (await sem.inspect()).waiting === i + 1);
    }
    const expected = [...plan.keys()].sort((a, b) => (plan[b] as number) - (plan[a] as number) || a - b);
    expect((await sem.inspect()).waiters.map((w) => w.priority)).toEqual(expected.map((i) => plan[i]));
    await blocker.release();
    for (const i of expected) {
      const lease = await (waiters[i] as Promise<Lease>);
      await lease.release();
    }
    expect(granted).toEqual(expected);
  });

  it('accepts named priority classes, highest first', async () => {
    const { lockstep } = standaloneLockstep();
    const sem = lockstep.semaphore('classes', { limit: 1, priorities: ['critical', 'default', 'bulk'] });
    const blocker = await sem.acquire();
    const order: string[] = [];
    const names = ['bulk', 'default', 'critical'];
    const waiters = names.map((priority) =>
      sem.acquire({ priority, waitMs: 10_000 }).then((lease) => {
        order.push(priority);
        return lease;
      }),
    );
    await eventually(async () => (await sem.inspect()).waiting === 3);
    const state = await sem.inspect();
    expect(state.waiters.map((w) => w.priorityName)).toEqual(['critical', 'default', 'bulk']);
    await blocker.release();
    for (let i = 2; i >= 0; i--) await (await (waiters[i] as Promise<Lease>)).release();
    expect(order).toEqual(['critical', 'default', 'bulk']);
  });

  it('defaults to the class named "default"', async () => {
    const { lockstep } = standaloneLockstep();
    const sem = lockstep.semaphore('default-class', { limit: 1, priorities: ['high', 'default', 'low'] });
    const blocker = await sem.acquire();
    const waiting = sem.acquire({ waitMs: 5_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    expect((await sem.inspect()).waiters[0]?.priorityName).toBe('default');
    await blocker.release();
    await (await waiting).release();
  });

  it('takes weighted permits and never lets lighter requests starve a heavy head', async () => {
    const { lockstep } = standaloneLockstep();
    const sem = lockstep.semaphore('weighted', { limit: 4 });
    const a = await sem.acquire({ weight: 2 });
    const b = await sem.acquire({ weight: 1 });
    const heavy = sem.acquire({ weight: 3, waitMs: 10_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    // One permit is free, but the heavy waiter is ahead: a light newcomer must queue behind it.
    expect(await sem.tryAcquire({ weight: 1 })).toBeNull();
    const light = sem.acquire({ weight: 1, waitMs: 10_000 });
    await eventually(async () => (await sem.inspect()).waiting === 2);
    await a.release();
    const h = await heavy;
    expect((await sem.inspect()).used).toBe(4);
    await b.release();
    await h.release();
    await (await light).release();
  });

  it('raises the limit at run time and serves waiters that now fit', async () => {
    const { lockstep } = standaloneLockstep();
    const sem = lockstep.semaphore('resize', { limit: 1 });
    const first = await sem.acquire();
    const second = sem.acquire({ waitMs: 5_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    await sem.setLimit(2);
    expect(sem.limit).toBe(2);
    const lease = await second;
    expect((await sem.inspect()).limit).toBe(2);
    await sem.setLimit(1);
    expect(await sem.tryAcquire()).toBeNull();
    await first.release();
    await lease.release();
  });

  it('rejects a queued waiter whose weight no longer fits a lowered limit', async () => {
    const { lockstep } = standaloneLockstep();
    const sem = lockstep.semaphore('shrink', { limit: 3 });
    const blocker = await sem.acquire({ weight: 3 });
    const heavy = sem.acquire({ weight: 3, waitMs: 5_000 });
    // It may reject while setLimit is still being answered, before the expectation below attaches.
    heavy.catch(() => undefined);
    await eventually(async () => (await sem.inspect()).waiting === 1);
    const other = lockstep.semaphore('shrink', { limit: 3 });
    await other.setLimit(2);
    await expect(heavy).rejects.toMatchObject({ code: 'ERR_WEIGHT_EXCEEDS_LIMIT' });
    await blocker.release();
  });

  it('enforces maxWaiters atomically with ERR_QUEUE_FULL', async () => {
    const { lockstep } = standaloneLockstep();
    const sem = lockstep.semaphore('bounded', { limit: 1, maxWaiters: 2 });
    const blocker = await sem.acquire();
    const outcomes: string[] = [];
    const attempts = Array.from({ length: 6 }, () =>
      sem.acquire({ waitMs: 10_000 }).then(
        async (lease) => {
          outcomes.push('granted');
          await lease.release();
        },
        (error: { code?: string }) => {
          outcomes.push(String(error.code));
        },
      ),
    );
    await eventually(() => outcomes.length === 4);
    expect(outcomes).toEqual(Array(4).fill('ERR_QUEUE_FULL'));
    expect((await sem.inspect()).waiting).toBe(2);
    await blocker.release();
    await Promise.all(attempts);
    expect(outcomes.filter((c) => c === 'granted')).toHaveLength(2);
  });

  it('ages a low-priority waiter so a stream of higher priorities cannot starve it', async () => {
    const { lockstep } = standaloneLockstep();
    // One step of priority per 100 ms of waiting: the low waiter (priority 0) outranks priority-3
    // newcomers that arrive more than 300 ms after it.
    const sem = lockstep.semaphore('aging', { limit: 1, agingMs: 100, ttlMs: 5_000 });
    let holder = await sem.acquire({ priority: 3 });
    const low = sem.acquire({ priority: 0, waitMs: 20_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    let lowGranted = false;
    void low.then(() => {
      lowGranted = true;
    });
    let servedBeforeLow = 0;
    const started = Date.now();
    while (!lowGranted && Date.now() - started < 15_000) {
      // A steady stream of priority-3 arrivals, one every 50 ms.
      const next = sem.acquire({ priority: 3, waitMs: 20_000 });
      await delay(50);
      await holder.release();
      const winner = await Promise.race([next.then(() => 'high' as const), low.then(() => 'low' as const)]);
      if (winner === 'low') {
        holder = await low;
        await holder.release();
        holder = await next;
        break;
      }
      servedBeforeLow++;
      holder = await next;
    }
    expect(lowGranted).toBe(true);
    // Bound: newcomers arriving within agingMs × (3 − 0) = 300 ms of the low waiter may pass it.
    expect(servedBeforeLow).toBeLessThanOrEqual(8);
    await holder.release();
  });

  it('heals its count when the holders key vanished behind its back', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const sem = lockstep.semaphore('healed', { limit: 1 });
    const lease = await sem.acquire();
    expect(await sem.tryAcquire()).toBeNull();
    await redis.del(`{${prefix}:s:healed}:h`);
    // The permit is gone with the key: the holder's extension fails and the next caller gets in.
    await expect(lease.extend()).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    const next = await sem.tryAcquire();
    expect(next).not.toBeNull();
    await next?.release();
  });

  it('validates input before any Redis call', async () => {
    const { lockstep } = standaloneLockstep();
    expect(() => lockstep.semaphore('x', { limit: 0 })).toThrow(/limit/);
    expect(() => lockstep.semaphore('x', { limit: 1.5 })).toThrow(/limit/);
    expect(() => lockstep.semaphore('x', { limit: 2, maxWaiters: -1 })).toThrow(/maxWaiters/);
    const sem = lockstep.semaphore('x', { limit: 2, priorities: ['a', 'b'] });
    await expect(sem.acquire({ weight: 3 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(sem.acquire({ priority: 'c' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(sem.acquire({ priority: Number.NaN })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(sem.acquire({ priority: Number.POSITIVE_INFINITY })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(sem.setLimit(0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('expiry under sustained contention', () => {
  it('keys outlive every lease and heartbeat in them (short TTL, long waiter TTL, three clients)', async () => {
    // Regression: a queue that grew the armed expiry without re-arming the holders key let the key
    // expire under live holders (over-admission, and releases that found no permit).
    const first = standaloneLockstep();
    const prefix = first.prefix;
    const clients = [first, standaloneLockstep({ prefix }), standaloneLockstep({ prefix })];
    const limit = 2;
    let active = 0;
    let maxActive = 0;
    let refused = 0;
    const end = performance.now() + 3_500;
    const contender = async (index: number) => {
      const { lockstep } = clients[index % 3] as (typeof clients)[number];
      const sem = lockstep.semaphore('shared', { limit, ttlMs: 400 });
      while (performance.now() < end) {
        const lease = await sem.acquire({ waitMs: 5_000 });
        active++;
        maxActive = Math.max(maxActive, active);
        await delay(index % 3);
        const held = lease.held;
        active--;
        if (!(await lease.release()) && held) refused++;
      }
    };
    await Promise.all(Array.from({ length: 24 }, (_, i) => contender(i)));
    expect(maxActive).toBeLessThanOrEqual(limit);
    expect(refused).toBe(0);
  }, 30_000);
});

describe('cleanup', () => {
  it('the key count returns to zero once load stops and the largest TTL has passed', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const sem = lockstep.semaphore('burst', { limit: 2, ttlMs: 200, waiterTtlMs: 300 });
    const lock = lockstep.lock('burst', { ttlMs: 200, waiterTtlMs: 300 });
    const work = async (take: () => Promise<Lease>) => {
      for (let i = 0; i < 20; i++) {
        const lease = await take();
        await delay(1);
        await lease.release();
      }
    };
    await Promise.all([
      ...Array.from({ length: 6 }, () => work(() => sem.acquire({ weight: 1, waitMs: 5_000 }))),
      ...Array.from({ length: 4 }, () => work(() => lock.acquire({ waitMs: 5_000 }))),
    ]);
    // One holder abandoned without a release, one waiter that gave up.
    await sem.acquire();
    await expect(
      lock.acquire({ waitMs: 0 }).then((l) => lock.acquire({ waitMs: 50 }).finally(() => l.release())),
    ).rejects.toMatchObject({
      code: 'ERR_ACQUIRE_TIMEOUT',
    });
    expect((await scanKeys(redis, `*${prefix}*`)).length).toBeGreaterThan(0);
    // Largest TTL (300 ms waiter TTL) plus the 1 s grace, plus slack for a busy machine.
    await eventually(async () => (await scanKeys(redis, `*${prefix}*`)).length === 0, 6_000);
  });
});
