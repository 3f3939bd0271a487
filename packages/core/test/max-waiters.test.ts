// maxWaiters counts distinct waiters: a waiter whose attempt runs again (right after it subscribes,
// on a heartbeat, after a lost message) is never counted against itself.
import { describe, expect, it } from 'vitest';
import { eventually, standaloneLockstep } from '../../../test/support/fixtures.js';

const ROUNDS = 30;

describe('maxWaiters with concurrent arrivals', () => {
  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: two waiters arriving together never hit maxWaiters 2, over ${ROUNDS} rounds`, async () => {
      const { lockstep } = standaloneLockstep();
      const make = (name: string) =>
        mode === 'lock'
          ? lockstep.lock(name, { ttlMs: 10_000, maxWaiters: 2 })
          : lockstep.semaphore(name, { limit: 1, ttlMs: 10_000, maxWaiters: 2 });
      const codes: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const name = `round-${round}`;
        const held = await make(name).acquire();
        const waiters = [make(name).acquire({ waitMs: 10_000 }), make(name).acquire({ waitMs: 10_000 })];
        // Both queued (or one queued and one still subscribing): release, and each gets its turn.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await held.release();
        for (const outcome of await Promise.allSettled(waiters.map(async (w) => (await w).release()))) {
          if (outcome.status === 'rejected') codes.push((outcome.reason as { code?: string }).code ?? 'unknown');
        }
      }
      expect(codes).toEqual([]);
    });

    it(`${mode}: a third waiter is still rejected with ERR_QUEUE_FULL`, async () => {
      const { lockstep } = standaloneLockstep();
      const make = () =>
        mode === 'lock'
          ? lockstep.lock('full', { ttlMs: 10_000, maxWaiters: 2 })
          : lockstep.semaphore('full', { limit: 1, ttlMs: 10_000, maxWaiters: 2 });
      const held = await make().acquire();
      const waiters = [make().acquire({ waitMs: 10_000 }), make().acquire({ waitMs: 10_000 })];
      // Both queued first (after a fixed pause one could still be on its way, and the third would
      // take its place).
      await eventually(async () => (await make().inspect()).waiting === 2);
      await expect(make().acquire({ waitMs: 1_000 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
      await held.release();
      for (const w of waiters) await (await w).release();
    });
  }
});
