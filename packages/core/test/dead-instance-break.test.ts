// One instance (a web server with several requests queued on a name) is killed -9 just before its
// turn; a live instance waits behind its waiters. The grant goes to the dead instance's first
// waiter as a 1 s claim, and its claim watchers are chosen among the next three waiters, which all
// belong to the dead instance: no live process watches the claim. The live waiter should still get
// the lock or permit about one claim window per dead waiter ahead of it (each dead one can only be
// known by its lapsed claim), not only once the dead waiters' heartbeats lapse (waiterTtlMs, 10 s:
// also the default waitMs of the Express middleware, so every request queued behind them on the
// live servers would time out).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { afterAll, describe, expect, it } from 'vitest';
import { Lockstep } from '../src/index.js';

const TTL_MS = 10_000;
/** Waiters queued by the instance that is killed, ahead of the live one. */
const DEAD = 4;
const children = new Set<ChildProcess>();
const instances: Lockstep[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const lockstep of instances) await lockstep.close();
});

function instance(prefix: string): Lockstep {
  const lockstep = new Lockstep({ redis: standaloneClient(), prefix });
  instances.push(lockstep);
  return lockstep;
}

async function queueInChild(config: Record<string, unknown>): Promise<ChildProcess> {
  const path = fileURLToPath(new URL('./fixtures/queued-waiters-break.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', path, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  children.add(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('queued')) resolve();
    });
    child.once('exit', () => reject(new Error('waiter process exited')));
  });
  return child;
}

async function poll(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('an instance with several queued waiters killed -9 just before its turn', () => {
  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: the live waiter behind them gets it about one claim window per dead waiter ahead after the release`, async () => {
      const prefix = uniquePrefix('dib');
      const name = `dead-instance-${mode}`;
      const make = (l: Lockstep) =>
        mode === 'lock' ? l.lock(name, { ttlMs: TTL_MS }) : l.semaphore(name, { limit: 1, ttlMs: TTL_MS });
      const holderSide = instance(prefix);
      const liveSide = instance(prefix);
      const waiting = async () => (await make(holderSide).inspect()).waiting;

      const holder = await make(holderSide).acquire();
      const doomed = await queueInChild({ port: standalonePort(), prefix, mode, name, count: DEAD, ttlMs: TTL_MS });
      await poll(async () => (await waiting()) === DEAD, 20_000);
      const live = make(liveSide).acquire({ waitMs: 30_000 });
      await poll(async () => (await waiting()) === DEAD + 1, 5_000);

      const exited = new Promise((resolve) => doomed.once('exit', resolve));
      doomed.kill('SIGKILL');
      await exited;
      const released = performance.now();
      expect(await holder.release()).toBe(true);
      const lease = await live;
      const waitedMs = performance.now() - released;
      await lease.release();
      // One dead waiter ahead costs ~1.1 s (README: kill to the live waiter's grant): four, ~4.4 s.
      expect(waitedMs).toBeLessThan(DEAD * 1_250 + 500);
    });
  }
});
