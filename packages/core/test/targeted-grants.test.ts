// Grants go to the served waiter's Lockstep instance and to its claim watchers (the instances of the
// waiters queued next), never to every instance with waiters on the name. Observed with a raw
// SSUBSCRIBE client on the name's shared channel and on each instance's own channel, with real
// Lockstep instances (each its own subscriber) on a real server.
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterLockstep, delay, eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import type { Lease } from '../src/index.js';
import { ID_PREFIX_LENGTH } from '../src/util/ids.js';
import { keySet } from '../src/util/names.js';
import { lockAcquire, semAcquire } from './support/lock-scripts.js';

const codes = JSON.parse(readFileSync(new URL('../src/lua/codes.json', import.meta.url), 'utf8')) as {
  constants: Record<string, [number, string]>;
};

const TTL_MS = 20_000;
const WAITER_TTL_MS = 10_000;
/** Instances a grant also goes to as claim watchers, besides the claimant's (WATCHERS in the scripts). */
const WATCHERS = codes.constants.WATCHERS?.[0] as number;

type Mode = 'lock' | 'semaphore';

const listeners: (Redis | Cluster)[] = [];
afterEach(async () => {
  for (const listener of listeners.splice(0)) await listener.quit();
});

/** Instances on one prefix, a maker for the name, its keys, and a listener on its channels. */
function setup(mode: Mode, name: string, count: number, where: 'standalone' | 'cluster' = 'standalone') {
  const create = where === 'cluster' ? clusterLockstep : standaloneLockstep;
  const first = create();
  const all = [first, ...Array.from({ length: count - 1 }, () => create({ prefix: first.prefix }))];
  const make = (i: number) => {
    const lockstep = (all[i] as typeof first).lockstep;
    return mode === 'lock'
      ? lockstep.lock(name, { ttlMs: TTL_MS })
      : lockstep.semaphore(name, { limit: 1, ttlMs: TTL_MS });
  };
  const keys = keySet(first.prefix, mode === 'lock' ? 'l' : 's', name).keys;
  const queue = keys[mode === 'lock' ? 1 : 2] as string;
  const channel = keys[4] as string;
  const queued = () => first.redis.zrange(queue, '0', '-1');
  /** Every message published on the shared channel or on one of `prefixes`' channels, by channel. */
  const listen = async (prefixes: readonly string[]) => {
    const got = new Map<string, string[]>();
    const redis: Redis | Cluster = first.redis;
    const listener = (redis as Cluster).isCluster
      ? (redis as Cluster).duplicate([], { shardedSubscribers: true })
      : (redis as Redis).duplicate();
    listeners.push(listener);
    listener.on('smessage', (ch: string, message: string) => got.set(ch, [...(got.get(ch) ?? []), message]));
    await listener.ssubscribe(channel, ...prefixes.map((p) => `${channel}:${p}`));
    return (prefix?: string) => got.get(prefix === undefined ? channel : `${channel}:${prefix}`) ?? [];
  };
  return { first, make, keys, channel, queued, listen };
}

/** The grant messages among `messages` that serve `id`. */
function grantsTo(messages: readonly string[], id: string): string[] {
  return messages.filter((m) => m.startsWith(`${id}|`) && m.split('|').length >= 4);
}

describe('targeted grant delivery', () => {
  it('request ids carry an instance prefix of the length the scripts cut', () => {
    expect(codes.constants.ID_PREFIX_LEN?.[0]).toBe(ID_PREFIX_LENGTH);
  });

  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: a grant reaches the served waiter's instance and its watchers' only, never the instance after`, async () => {
      // Instances 1..n queue one waiter each, in this order: the first is served, the next
      // WATCHERS watch its claim, and the last must hear nothing.
      const n = WATCHERS + 2;
      const { make, queued, listen } = setup(mode, `targeted-${mode}`, n + 1);
      const held = await make(0).acquire();
      const waits: Promise<Lease>[] = [];
      for (let i = 1; i <= n; i++) {
        const wait = make(i).acquire({ waitMs: TTL_MS / 2 });
        wait.catch(() => undefined);
        waits.push(wait);
        await eventually(async () => (await queued()).length === i, 5_000);
      }
      const ids = await queued();
      const prefixes = ids.map((id) => {
        expect(id.charAt(ID_PREFIX_LENGTH)).toBe('.');
        return id.slice(0, ID_PREFIX_LENGTH);
      });
      expect(new Set(prefixes).size).toBe(n);
      const heard = await listen(prefixes);
      const heardBy = (id: string) => prefixes.map((p) => grantsTo(heard(p), id).length);

      await held.release();
      const first = await (waits[0] as Promise<Lease>);
      await delay(100);
      // The first waiter's grant: to its instance and the next WATCHERS, not the last nor everyone.
      expect(heardBy(ids[0] as string)).toEqual([...Array(n - 1).fill(1), 0]);
      expect(heard(prefixes[n - 1])).toEqual([]);
      expect(grantsTo(heard(), ids[0] as string)).toEqual([]);

      // Handed on to the second: the first instance, no longer waiting, does not hear it.
      await first.release();
      const second = await (waits[1] as Promise<Lease>);
      await delay(100);
      expect(heardBy(ids[1] as string)).toEqual([0, ...Array(n - 1).fill(1)]);
      expect(grantsTo(heard(), ids[1] as string)).toEqual([]);

      let lease = second;
      for (const wait of waits.slice(2)) {
        await lease.release();
        lease = await wait;
      }
      await lease.release();
    });

    for (const [where, ghosts] of [
      ['standalone', 1],
      ['standalone', 2],
      ['cluster', 1],
    ] as const) {
      it(`${where} ${mode}: ${ghosts} dead claimant(s) of one instance, then the live waiter of another: its instance watches and is served ${ghosts} claim window(s) later`, async () => {
        const { first, make, keys, queued, listen } = setup(mode, `watched-${mode}-${ghosts}`, 3, where);
        const held = await make(0).acquire();
        // The claimants: an instance that queued and died (its prefix has no subscriber at all).
        // A second dead waiter of the same instance is never the watcher of the first's claim.
        const ghostPrefix = 'GhostGhost01';
        const ghostIds = Array.from({ length: ghosts }, (_, i) => `${ghostPrefix}.${i + 1}`);
        for (const ghost of ghostIds) {
          const options = { ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS };
          const reply =
            mode === 'lock'
              ? await lockAcquire(first.redis, keys, ghost, true, options)
              : await semAcquire(first.redis, keys, ghost, options);
          expect((reply as number[])[0]).toBe(0);
        }
        // The live waiter of instance 1 queues behind them: its instance is the claims' watcher.
        const live = make(1).acquire({ waitMs: TTL_MS / 2 });
        await eventually(async () => (await queued()).length === ghosts + 1, 5_000);
        const pb = ((await queued())[ghosts] as string).slice(0, ID_PREFIX_LENGTH);
        const heard = await listen([ghostPrefix, pb]);

        const released = performance.now();
        await held.release();
        const lease = await live;
        const servedAfter = performance.now() - released;
        // Served by the watcher's re-check once each 1 s claim lapsed (plus 50-100 ms), not after
        // a heartbeat period or the lease TTL.
        expect(servedAfter).toBeGreaterThan(ghosts * 1_000 - 100);
        expect(servedAfter).toBeLessThan(ghosts * 1_000 + 2_000);
        for (const ghost of ghostIds) {
          expect(grantsTo(heard(ghostPrefix), ghost)).toHaveLength(1);
          expect(grantsTo(heard(pb), ghost)).toHaveLength(1);
          expect(grantsTo(heard(), ghost)).toEqual([]);
        }
        expect(lease.fence).toBeGreaterThan(held.fence as number);
        await lease.release();
      });
    }
  }
});
