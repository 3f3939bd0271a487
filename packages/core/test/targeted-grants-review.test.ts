// Review of targeted grant delivery: a claim must reach a live watcher whenever a live waiter of
// another instance is queued right after the claimant, also when the release had to scan past dead
// heads (the "scan" path of live_head, taken when more than PURGE_BUDGET dead waiters remain).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import { runScript } from '../src/redis/scripts.js';
import { keySet } from '../src/util/names.js';
import { lockAcquire } from './support/lock-scripts.js';

const TTL_MS = 20_000;
const WAITER_TTL_MS = 30_000;
const constants = JSON.parse(readFileSync(new URL('../src/lua/codes.json', import.meta.url), 'utf8'))
  .constants as Record<string, [number, string]>;
const PURGED = constants.PURGE_BUDGET?.[0] as number;
const BATCH = constants.SCAN_BATCH?.[0] as number;

describe('claim watchers on the dead-head scan path', () => {
  for (const [label, deadAhead, deadBetween] of [
    ['the claimant last of a scan batch', PURGED + BATCH - 1, 0],
    ['dead waiters between the claimant and the live one', PURGED + 1, 3],
  ] as const) {
    it(`lock: ${label}: the live waiter's instance still watches the claim (served within a claim window)`, async () => {
      const name = `scan-watch-${deadBetween}`;
      const first = standaloneLockstep();
      const other = standaloneLockstep({ prefix: first.prefix });
      const { keys } = keySet(first.prefix, 'l', name);
      const [, Q, D, I] = keys as unknown as [string, string, string, string];
      const held = await first.lockstep.lock(name, { ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS }).acquire();
      // The claimant: a waiter of an instance that died (no subscriber), alive for its heartbeat TTL.
      const ghost = 'GhostGhost02.1';
      expect((await lockAcquire(first.redis, [...keys], ghost, true, { ttlMs: TTL_MS, waiterTtlMs: 60_000 }))[0]).toBe(
        0,
      );
      const live = other.lockstep.lock(name, { ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS }).acquire({ waitMs: 8_000 });
      live.catch(() => undefined);
      await eventually(async () => (await first.redis.zcard(Q)) === 2, 5_000);
      const [ghostScore, liveScore] = (await first.redis.zrange(Q, '0', '-1', 'WITHSCORES'))
        .filter((_, i) => i % 2 === 1)
        .map(Number) as [number, number];
      // Waiters whose heartbeat deadline passed (their instance died long ago): `deadAhead` queued
      // before the claimant, `deadBetween` between it and the live waiter.
      const dead = async (count: number, from: number, step: number, tag: string) => {
        for (let i = 0; i < count; i++) {
          const id = `DeadDeadDead.${tag}${i}`;
          await first.redis.zadd(Q, from + i * step, id);
          await first.redis.zadd(D, 1, id);
          await first.redis.hset(I, id, `x|${TTL_MS}`);
        }
      };
      await dead(deadAhead, ghostScore - 1 - deadAhead, 1, 'a');
      await dead(deadBetween, ghostScore + 0.1, 0.1 / (deadBetween + 1), 'b');
      expect(liveScore).toBeGreaterThan(ghostScore + 0.2);

      const released = performance.now();
      await held.release();
      const lease = await live;
      // One 1 s claim lapses (plus 50-100 ms), then the watcher's re-check serves it; without a
      // watcher it would wait for a heartbeat period (10 s) or the old lease's TTL (20 s).
      expect(performance.now() - released).toBeLessThan(3_000);
      await lease.release();
    });
  }

  it('semaphore: dead waiters right after the claimant (purge cut short): the live waiter behind them still watches the claim', async () => {
    const name = 'scan-watch-sem';
    const first = standaloneLockstep();
    const other = standaloneLockstep({ prefix: first.prefix });
    const { keys } = keySet(first.prefix, 's', name);
    const [M, , Q, D] = keys as unknown as [string, string, string, string];
    const options = { limit: 1, ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS };
    const held = await first.lockstep.semaphore(name, options).acquire();
    const ghost = 'GhostGhost03.1';
    const reply = await runScript(
      first.redis,
      'semAcquire',
      [...keys],
      [ghost, 'ghost-token', 1, 1, TTL_MS, '1', 0, 60_000, -1, 0],
    );
    expect((reply as number[])[0]).toBe(0);
    const live = other.lockstep.semaphore(name, options).acquire({ waitMs: 8_000 });
    live.catch(() => undefined);
    await eventually(async () => (await first.redis.zcard(Q)) === 2, 5_000);
    const [ghostScore, liveScore] = (await first.redis.zrange(Q, '0', '-1', 'WITHSCORES'))
      .filter((_, i) => i % 2 === 1)
      .map(Number) as [number, number];
    // PURGE_BUDGET dead waiters ahead (the release's purge drops exactly those, then stops short),
    // three more between the claimant and the live waiter.
    const dead = async (count: number, score: (i: number) => number, tag: string) => {
      for (let i = 0; i < count; i++) {
        const id = `DeadDeadDead.${tag}${i}`;
        await first.redis.zadd(Q, score(i), id);
        await first.redis.zadd(D, 1, id);
        await first.redis.hset(M, id, `w|x|1|${TTL_MS}|0|1`);
      }
    };
    await dead(PURGED, (i) => ghostScore - 1 - i, 'a');
    await dead(3, (i) => ghostScore + ((liveScore - ghostScore) * (i + 1)) / 5, 'b');

    const released = performance.now();
    await held.release();
    const lease = await live;
    expect(performance.now() - released).toBeLessThan(3_000);
    await lease.release();
  });
});
