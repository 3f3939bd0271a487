// Finding 1 of the review of the waiters mark (see mark-review.test.ts): a free lock whose queue
// holds more dead heads than one call may drop (SCAN_BUDGET rounds of SCAN_BATCH heads, after a
// purge of PURGE_BUDGET) goes to nobody but a live waiter. The call that runs out of budget leaves
// the lock free and marked and tells a newcomer to come back at once; the next call scans on.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { delay, standaloneLockstep } from '../../../test/support/fixtures.js';
import { runScript, STATUS } from '../src/redis/scripts.js';
import { keySet } from '../src/util/names.js';
import { lockAcquire as acquireScript } from './support/lock-scripts.js';

const TTL_MS = 20_000;
const constants = JSON.parse(readFileSync(new URL('../src/lua/codes.json', import.meta.url), 'utf8'))
  .constants as Record<string, [number, string]>;
const SCANNED = (constants.SCAN_BATCH?.[0] as number) * (constants.SCAN_BUDGET?.[0] as number);
const PURGED = constants.PURGE_BUDGET?.[0] as number;

type Setup = ReturnType<typeof standaloneLockstep>;

function lockAcquire(setup: Setup, keys: string[], id: string, wait: boolean, waiterTtlMs = 30_000) {
  return acquireScript(setup.redis, keys, id, wait, { ttlMs: TTL_MS, waiterTtlMs });
}

// Holder, then `ghosts` waiters that die, then `live` waiters: the queue of the review's finding.
async function graveyard(setup: Setup, name: string, ghosts: number, live: number): Promise<string[]> {
  const keys = [...keySet(setup.prefix, 'l', name).keys];
  expect(typeof (await runScript(setup.redis, 'lockAcquireFast', keys.slice(0, 2), ['holder-token', TTL_MS]))).toBe(
    'string',
  );
  for (let from = 0; from < ghosts; from += 2_000) {
    const batch = Array.from({ length: Math.min(2_000, ghosts - from) }, (_, i) =>
      lockAcquire(setup, keys, `ghost-${from + i}`, true, 100),
    );
    for (const reply of await Promise.all(batch)) expect(reply[0]).toBe(STATUS.queued);
  }
  await delay(300);
  for (let i = 0; i < live; i++) expect((await lockAcquire(setup, keys, `live-${i}`, true))[0]).toBe(STATUS.queued);
  return keys;
}

describe('a free lock behind more dead waiters than one call drops', () => {
  it('goes to nobody but the first live waiter, at the second call on the name', async () => {
    const setup = standaloneLockstep();
    const keys = await graveyard(setup, 'deep-graveyard', PURGED + SCANNED + 500, 3);
    const H = keys[0] as string;
    // The release runs out of budget: the lock is free, keeps the waiters mark, goes to nobody.
    expect(await runScript(setup.redis, 'lockRelease', keys, ['holder', 'holder-token'])).toBe(STATUS.released);
    expect(await setup.redis.get(H)).toMatch(/^w\d+:$/);
    expect(await runScript(setup.redis, 'lockAcquireFast', keys.slice(0, 2), ['fast-token', TTL_MS])).toBe(
      STATUS.contended,
    );
    // A newcomer is turned away, told to come back at once; its call scans on and serves live-0.
    const newcomer = await lockAcquire(setup, keys, 'newcomer', false);
    expect(newcomer[0]).not.toBe(STATUS.granted);
    expect(await setup.redis.get(H)).toMatch(/^w\d+:live-0-token$/);
    expect(await setup.redis.zrange(keys[1] as string, '0', '-1')).toEqual(['live-1', 'live-2']);
  });

  it('a queued waiter told to come back at once is served by its own next call', async () => {
    const setup = standaloneLockstep();
    const keys = await graveyard(setup, 'deep-graveyard-waiter', PURGED + 2 * SCANNED + 500, 1);
    expect(await runScript(setup.redis, 'lockRelease', keys, ['holder', 'holder-token'])).toBe(STATUS.released);
    // Two calls' worth of dead heads remain: live-0's re-check is turned back with 0 ms (re-check at
    // once), and no newcomer in between takes the lock.
    const first = await lockAcquire(setup, keys, 'live-0', true);
    expect(first[0]).toBe(STATUS.queued);
    expect(first[2]).toBe(0);
    expect((await lockAcquire(setup, keys, 'newcomer', false))[0]).toBe(STATUS.busy);
    const again = await lockAcquire(setup, keys, 'live-0', true);
    expect(again[0]).toBe(STATUS.granted);
    expect(await setup.redis.get(keys[0] as string)).toMatch(/^\d+:live-0-token$/);
    expect(await setup.redis.exists(keys[1] as string, keys[2] as string, keys[3] as string)).toBe(0);
  });

  it('a live waiter behind dead ones, short of the budget, is served by the release itself', async () => {
    const setup = standaloneLockstep();
    const keys = await graveyard(setup, 'graveyard-in-budget', PURGED + SCANNED - 300, 2);
    const released = (await runScript(setup.redis, 'lockRelease', keys, ['holder', 'holder-token'])) as unknown[];
    expect(released[0]).toBe(STATUS.released);
    expect(String(released[1])).toMatch(/^live-0\|/);
    expect(await setup.redis.get(keys[0] as string)).toMatch(/^w\d+:live-0-token$/);
  });

  it('a waiter of the client behind them is served within a second of the release, not at its re-check', async () => {
    const setup = standaloneLockstep();
    const name = 'graveyard-client';
    const lock = () => setup.lockstep.lock(name, { ttlMs: TTL_MS });
    const holder = await lock().acquire();
    const keys = [...keySet(setup.prefix, 'l', name).keys];
    const ghosts = PURGED + 4 * SCANNED + 300;
    for (let from = 0; from < ghosts; from += 2_000) {
      const batch = Array.from({ length: Math.min(2_000, ghosts - from) }, (_, i) =>
        lockAcquire(setup, keys, `ghost-${from + i}`, true, 100),
      );
      await Promise.all(batch);
    }
    await delay(300);
    const waiting = lock().acquire({ waitMs: 15_000 });
    // Queued behind every ghost (no call purged any: the lock is held).
    for (let i = 0; i < 500 && (await setup.redis.zcard(keys[1] as string)) < ghosts + 1; i++) await delay(10);
    expect(await setup.redis.zcard(keys[1] as string)).toBe(ghosts + 1);
    const start = performance.now();
    expect(await holder.release()).toBe(true);
    const next = await waiting;
    const waitedMs = performance.now() - start;
    if (process.env.LOCKSTEP_PRINT_SCAN)
      console.log(`served ${waitedMs.toFixed(1)} ms after the release, behind ${ghosts} dead`);
    // Without the "|r" announcement the waiter would sleep until the released lease's deadline (20 s).
    expect(waitedMs).toBeLessThan(1_000);
    expect(next.fence).toBeGreaterThan(holder.fence as number);
    expect(await next.release()).toBe(true);
  });
});
