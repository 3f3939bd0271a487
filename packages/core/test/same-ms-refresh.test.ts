// A waiter's re-check that lands in the same server millisecond as its enqueue must keep its place:
// ZADD XX CH answers 0 when the score does not change, which once read as "purged" and re-enqueued
// the waiter (at the back, or ERR_QUEUE_FULL with maxWaiters 1).
import { describe, expect, it } from 'vitest';
import { eventually, standaloneLockstep } from '../../../test/support/fixtures.js';

const ROUNDS = 40;

describe('a waiter refreshed within the same millisecond', () => {
  it('keeps its semaphore queue place (maxWaiters 1 never rejects it)', async () => {
    const { lockstep } = standaloneLockstep();
    for (let i = 0; i < ROUNDS; i++) {
      const sem = lockstep.semaphore(`s${i}`, { limit: 1, maxWaiters: 1 });
      const holder = await sem.acquire();
      const waiting = sem.acquire({ waitMs: 10_000 });
      await eventually(async () => (await sem.inspect()).waiting === 1);
      await holder.release();
      const next = await waiting;
      expect(next.fence).toBeGreaterThan(holder.fence as number);
      await next.release();
    }
  });

  it('keeps its lock queue place (maxWaiters 1 never rejects it)', async () => {
    const { lockstep } = standaloneLockstep();
    for (let i = 0; i < ROUNDS; i++) {
      const lock = lockstep.lock(`l${i}`, { maxWaiters: 1 });
      const holder = await lock.acquire();
      const waiting = lock.acquire({ waitMs: 10_000 });
      await eventually(async () => (await lock.inspect()).waiting === 1);
      await holder.release();
      const next = await waiting;
      expect(next.fence).toBeGreaterThan(holder.fence as number);
      await next.release();
    }
  });
});
