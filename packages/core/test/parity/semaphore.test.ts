// One behavioural suite for semaphores, run against a real Redis and the in-memory backend.
import { describe, expect, it } from 'vitest';
import { delay, eventually } from '../../../../test/support/fixtures.js';
import type { Lease } from '../../src/index.js';
import { BACKENDS } from './backends.js';

describe.each(BACKENDS)('semaphore parity: $name', ({ create }) => {
  it('never admits more than the limit, weighted', async () => {
    const sem = create().semaphore('limit', { limit: 3 });
    let used = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        sem.withPermit(
          async (permit) => {
            used += permit.weight;
            most = Math.max(most, used);
            await delay(3);
            used -= permit.weight;
          },
          { weight: (i % 2) + 1, waitMs: 20_000 },
        ),
      ),
    );
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
  });

  it('serves by priority, then arrival order', async () => {
    const sem = create().semaphore('prio', { limit: 1, priorities: ['high', 'low'] });
    const held = await sem.acquire();
    const order: string[] = [];
    const waiters: Promise<void>[] = [];
    const plan = ['low', 'high', 'low', 'high'];
    for (const [i, priority] of plan.entries()) {
      const served = async (lease: Lease) => {
        order.push(`${priority}${i}`);
        await lease.release();
      };
      waiters.push(sem.acquire({ priority, waitMs: 20_000 }).then(served));
      await eventually(async () => (await sem.inspect()).waiting === i + 1);
    }
    const state = await sem.inspect();
    expect(state.waiters.map((w) => w.priorityName)).toEqual(['high', 'high', 'low', 'low']);
    await held.release();
    await Promise.all(waiters);
    expect(order).toEqual(['high1', 'high3', 'low0', 'low2']);
  });

  it('aging: a waiter is passed only by higher priorities that arrive within agingMs × (P − p)', async () => {
    const sem = create().semaphore('aging', { limit: 1, agingMs: 500 });
    const held = await sem.acquire();
    const order: string[] = [];
    const waiters: Promise<void>[] = [];
    const enqueue = async (label: string, priority: number) => {
      const waiting = (await sem.inspect()).waiting;
      const served = async (lease: Lease) => {
        order.push(label);
        await lease.release();
      };
      waiters.push(sem.acquire({ priority, waitMs: 20_000 }).then(served));
      await eventually(async () => (await sem.inspect()).waiting === waiting + 1);
    };
    await enqueue('low', 0);
    await enqueue('early-high', 3); // within 1,500 ms of the low waiter: passes it
    await delay(1_800);
    await enqueue('late-high', 3); // more than 1,500 ms later: does not
    await held.release();
    await Promise.all(waiters);
    expect(order).toEqual(['early-high', 'low', 'late-high']);
  });

  it('a heavy head blocks lighter waiters behind it (no barging), then both are served', async () => {
    const sem = create().semaphore('weights', { limit: 3 });
    const held = await sem.acquire({ weight: 2 });
    const heavy = sem.acquire({ weight: 2, waitMs: 20_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    expect(await sem.tryAcquire({ weight: 1 })).toBeNull();
    const light = sem.acquire({ weight: 1, waitMs: 20_000 });
    await eventually(async () => (await sem.inspect()).waiting === 2);
    const state = await sem.inspect();
    expect(state).toMatchObject({ limit: 3, used: 2, waiting: 2 });
    expect(state.holders).toHaveLength(1);
    expect(state.holders[0]).toMatchObject({ weight: 2, fence: held.fence });
    await held.release();
    const leases = await Promise.all([heavy, light]);
    expect((await sem.inspect()).used).toBe(3);
    for (const lease of leases) await lease.release();
  });

  it('tryAcquire takes free permits only when no waiter of the same or a higher priority is queued', async () => {
    const sem = create().semaphore('try', { limit: 3 });
    const held = await sem.acquire({ weight: 2 });
    const queued = sem.acquire({ weight: 2, priority: 1, waitMs: 20_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    expect(await sem.tryAcquire({ priority: 1 })).toBeNull();
    const higher = await sem.tryAcquire({ priority: 2 });
    expect(higher).not.toBeNull();
    await higher?.release();
    await held.release();
    await (await queued).release();
  });

  it('setLimit serves waiters that now fit, and rejects those now too heavy', async () => {
    const sem = create().semaphore('resize', { limit: 3 });
    const held = await sem.acquire({ weight: 3 });
    const one = sem.acquire({ weight: 1, waitMs: 20_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    await sem.setLimit(4);
    const granted = await one;
    expect(sem.limit).toBe(4);
    expect((await sem.inspect()).limit).toBe(4);
    const heavy = sem.acquire({ weight: 4, waitMs: 20_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    await sem.setLimit(2);
    await expect(heavy).rejects.toMatchObject({ code: 'ERR_WEIGHT_EXCEEDS_LIMIT' });
    await granted.release();
    await held.release();
  });

  it('an expired permit is lost and its weight comes back', async () => {
    const sem = create().semaphore('expiry', { limit: 2, ttlMs: 200 });
    const lease = await sem.acquire({ weight: 2 });
    const waiter = sem.acquire({ waitMs: 10_000 });
    await new Promise((resolve) => lease.signal.addEventListener('abort', resolve));
    expect(lease.lostError?.reason).toBe('expired');
    const next = await waiter;
    expect(next.fence).toBeGreaterThan(lease.fence as number);
    await next.release();
  });

  it('rejects bad input with the same errors', async () => {
    const lockstep = create();
    expect(() => lockstep.semaphore('s', {} as never)).toThrow(/limit/);
    expect(() => lockstep.semaphore('s', { limit: 1, priorities: ['a', 'a'] })).toThrow(/distinct/);
    const sem = lockstep.semaphore('s', { limit: 3, priorities: ['hi', 'lo'] });
    await expect(sem.acquire({ weight: 4 })).rejects.toThrow('Expected `weight` to be at most the limit 3, got 4');
    await expect(sem.acquire({ priority: 'mid' })).rejects.toThrow(/hi, lo/);
    await expect(sem.setLimit(1.5)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
