// A waiter killed with SIGKILL while queued, at default settings (its heartbeat deadline is still
// seconds away when the lock or permit is freed): the grant it receives is only a short claim, so
// the lock or permit reaches a live waiter or a fresh caller long before the dead one's lease TTL.
import { standalonePort } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../packages/core/src/index.js';
import { eventually, standaloneLockstep } from './support/fixtures.js';
import { startHolder } from './support/workers.js';

/** The dead waiter would hold for this long if it were granted a real lease. */
const TTL_MS = 20_000;

function setup(mode: 'lock' | 'semaphore', name: string) {
  const { lockstep, prefix } = standaloneLockstep();
  const make = () =>
    mode === 'lock' ? lockstep.lock(name, { ttlMs: TTL_MS }) : lockstep.semaphore(name, { limit: 1, ttlMs: TTL_MS });
  const waiting = async () => (await make().inspect()).waiters.length;
  // A waiter in another process, at the default waiterTtlMs, queued behind `blocker`.
  const queueDoomed = async () => {
    const doomed = startHolder({ port: standalonePort(), prefix, mode, name, limit: 1, ttlMs: TTL_MS, waitMs: 60_000 });
    await doomed.waitFor('started');
    return doomed;
  };
  return { make, waiting, queueDoomed };
}

describe('a waiter killed -9 while queued', () => {
  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: the freed ${mode === 'lock' ? 'lock' : 'permit'} reaches the live waiter behind it, not the dead one`, async () => {
      const { make, waiting, queueDoomed } = setup(mode, 'behind');
      const blocker = await make().acquire();
      const doomed = await queueDoomed();
      await eventually(async () => (await waiting()) === 1, 30_000);
      // A live waiter in this process, queued behind the doomed one. Its wait is far shorter than
      // the lease TTL a dead waiter would keep.
      const live = make().acquire({ waitMs: 15_000 });
      await eventually(async () => (await waiting()) === 2, 5_000);
      await doomed.kill();
      // Released at once: the dead waiter's heartbeat deadline (10 s by default) has not passed.
      expect(await blocker.release()).toBe(true);
      const lease: Lease = await live;
      expect(lease.fence).toBeGreaterThan(blocker.fence as number);
      const state = await make().inspect();
      expect(state.waiting).toBe(0);
      if ('used' in state) expect(state.holders).toHaveLength(1);
      else expect(state.held).toBe(true);
      await lease.release();
    });

    it(`${mode}: a fresh caller's tryAcquire() gets it soon after the release, and inspect() drops the dead waiter`, async () => {
      const { make, waiting, queueDoomed } = setup(mode, 'fresh');
      const blocker = await make().acquire();
      const doomed = await queueDoomed();
      await eventually(async () => (await waiting()) === 1, 30_000);
      await doomed.kill();
      await blocker.release();
      let lease: Lease | null = null;
      // Far less than the TTL the dead waiter would have kept (20 s).
      await eventually(async () => {
        lease = await make().tryAcquire();
        return lease !== null;
      }, 15_000);
      expect(lease).not.toBeNull();
      const state = await make().inspect();
      expect(state.waiting).toBe(0);
      expect(state.waiters).toHaveLength(0);
      await (lease as unknown as Lease).release();
    });
  }
});
