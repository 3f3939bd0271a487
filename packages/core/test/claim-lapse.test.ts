// A queued waiter that never wakes (its process is gone) is handed only a claim: when the claim
// lapses, a waiter of another Lockstep instance re-checks and gets the lock or permits, on a
// single Redis and on a Cluster. The ghost waiter is enqueued with the acquire script itself, as a
// process that died right after queueing would have left it.
import { describe, expect, it } from 'vitest';
import { clusterLockstep, standaloneLockstep } from '../../../test/support/fixtures.js';
import { runScript } from '../src/redis/scripts.js';
import { keySet } from '../src/util/names.js';

const TTL_MS = 20_000;
const WAITER_TTL_MS = 10_000;

const setups = { standalone: standaloneLockstep, cluster: clusterLockstep };

describe('a claim nobody takes up passes on', () => {
  for (const where of ['standalone', 'cluster'] as const) {
    for (const mode of ['lock', 'semaphore'] as const) {
      it(`${where} ${mode}: the live waiter of another instance gets it after the ghost's claim lapses`, async () => {
        const a = setups[where]();
        const b = setups[where]({ prefix: a.prefix });
        const name = `ghost-${mode}`;
        const make = (lockstep: typeof a.lockstep) =>
          mode === 'lock'
            ? lockstep.lock(name, { ttlMs: TTL_MS })
            : lockstep.semaphore(name, { limit: 1, ttlMs: TTL_MS });
        const held = await make(a.lockstep).acquire();
        const keys = keySet(a.prefix, mode === 'lock' ? 'l' : 's', name).keys;
        const ghost =
          mode === 'lock'
            ? await runScript(a.redis, 'lockAcquire', keys, ['ghost', 'ghost-token', TTL_MS, '1', WAITER_TTL_MS, -1])
            : await runScript(a.redis, 'semAcquire', keys, [
                'ghost',
                'ghost-token',
                1,
                1,
                TTL_MS,
                '1',
                0,
                WAITER_TTL_MS,
                -1,
                0,
              ]);
        expect((ghost as number[])[0]).toBe(0);
        // The live waiter queues behind the ghost, in another instance (its own subscriber).
        const live = make(b.lockstep).acquire({ waitMs: TTL_MS / 2 });
        for (let i = 0; i < 500 && (await make(a.lockstep).inspect()).waiters.length < 2; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect((await make(a.lockstep).inspect()).waiters).toHaveLength(2);
        await held.release();
        // Far sooner than the TTL the ghost would have kept with a full grant.
        const lease = await live;
        expect(lease.held).toBe(true);
        const state = await make(a.lockstep).inspect();
        expect(state.waiting).toBe(0);
        await lease.release();
      });
    }
  }
});
