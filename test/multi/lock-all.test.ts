// lockAll across OS processes: contenders lock random pairs and triples of 10 names, listed in
// random order, for thousands of rounds; the checker finds no overlap per name and fences in order,
// every call finishes inside its wait (no deadlock), and no key is left behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Lockstep } from '../../packages/core/src/index.js';
import '@lockstep/test-utils/context-types';
import { runTsx, scanKeys, uniquePrefix } from '@lockstep/test-utils';
import { checkHistory } from '../support/checker.js';
import { eventually } from '../support/fixtures.js';
import { readHistory } from '../support/history.js';
import type { LockAllSummary, LockAllWorkerConfig } from './lock-all-worker.js';

const WORKER = fileURLToPath(new URL('./lock-all-worker.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function runWorker(config: LockAllWorkerConfig): Promise<LockAllSummary> {
  const { code, stdout, stderr } = await runTsx(WORKER, config);
  if (code !== 0) throw new Error(`${config.label} exited ${code}: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as LockAllSummary;
}

const NAMES = Array.from({ length: 10 }, (_, i) => `account:${i}`);
const WAIT_MS = 30_000;
const TTL_MS = 2_000;

async function run(target: LockAllWorkerConfig['target'], rounds: number) {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-lockall-'));
  dirs.push(dir);
  const prefix = uniquePrefix('la');
  const base = { target, prefix, names: NAMES, contenders: 4, rounds, ttlMs: TTL_MS, waitMs: WAIT_MS, shortWaitMs: 20 };
  const summaries = await Promise.all(
    [0, 1, 2].map((i) => runWorker({ ...base, out: join(dir, `p${i}.jsonl`), label: `p${i}` })),
  );
  return { summaries, events: readHistory(dir), prefix };
}

async function expectClean(
  summaries: readonly LockAllSummary[],
  events: ReturnType<typeof readHistory>,
  rounds: number,
  lockstep: Lockstep,
) {
  // No deadlock: every round of every long-wait contender got all its names inside its wait.
  expect(summaries.map((s) => s.codes)).toEqual([{}, {}, {}]);
  // The short-wait contenders timed out part way (and gave back what they had taken). On a loaded
  // machine a reply can also miss so short a wait: that is ERR_REDIS (a request timed out), and it
  // gives back the same way.
  const short = summaries.flatMap((s) => Object.keys(s.shortCodes));
  // In quorum mode a majority too slow for so short a wait is ERR_QUORUM, likewise.
  for (const code of short) expect(['ERR_ACQUIRE_TIMEOUT', 'ERR_REDIS', 'ERR_QUORUM']).toContain(code);
  expect(short).toContain('ERR_ACQUIRE_TIMEOUT');
  const failed = summaries.reduce((sum, s) => sum + Object.values(s.shortCodes).reduce((a, b) => a + b, 0), 0);
  expect(summaries.reduce((sum, s) => sum + s.rounds, 0)).toBe(3 * 4 * rounds - failed);
  for (const s of summaries) expect(s.maxCallMs).toBeLessThan(WAIT_MS);
  // Nothing is still held right after the run: no give-back was missed (a leak would hold its
  // name for the TTL).
  for (const name of NAMES) {
    const lease = await lockstep.lock(name, { ttlMs: TTL_MS }).tryAcquire();
    expect(lease, name).not.toBeNull();
    await lease?.release();
  }
  const result = checkHistory(events, () => 1);
  expect(result.violations).toEqual([]);
  expect(result.names).toBe(NAMES.length);
  for (const name of NAMES) expect(result.maxConcurrent.get(name)).toBe(1);
}

describe('lockAll across 3 processes', () => {
  it('standalone: random pairs and triples of 10 names, thousands of rounds, no overlap, no deadlock, no key left', async () => {
    const rounds = 200;
    const { summaries, events, prefix } = await run({ kind: 'standalone', ports: [inject('standalonePort')] }, rounds);
    const redis = new Redis(inject('standalonePort'), '127.0.0.1');
    const lockstep = new Lockstep({ redis, prefix });
    try {
      await expectClean(summaries, events, rounds, lockstep);
      await lockstep.close();
      // Released locks remember their last fence until the old deadline at most: then nothing is left.
      await eventually(async () => (await scanKeys(redis, `*${prefix}*`)).length === 0, TTL_MS * 4);
    } finally {
      await redis.quit();
    }
  }, 240_000);

  it('cluster: names in different slots, no overlap, no deadlock, no key left', async () => {
    const rounds = 170;
    const ports = inject('clusterPorts');
    const { summaries, events, prefix } = await run({ kind: 'cluster', ports }, rounds);
    const cluster = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    cluster.on('error', () => undefined);
    // Wait for the slot map, so the scan below sees every primary.
    await cluster.ping();
    const lockstep = new Lockstep({ redis: cluster, prefix });
    try {
      await expectClean(summaries, events, rounds, lockstep);
      await lockstep.close();
      await eventually(async () => (await scanKeys(cluster, `*${prefix}*`)).length === 0, TTL_MS * 4);
    } finally {
      await cluster.quit();
    }
  }, 240_000);

  it('quorum: every name by majority of 5 servers, no overlap, no deadlock', async () => {
    const rounds = 60;
    const ports = inject('quorumPorts');
    const { summaries, events, prefix } = await run({ kind: 'quorum', ports }, rounds);
    const clients = ports.map((port) => new Redis(port, '127.0.0.1'));
    const lockstep = new Lockstep({ redis: clients, prefix });
    try {
      await expectClean(summaries, events, rounds, lockstep);
      await lockstep.close();
      // Quorum keys are single strings with the lease's TTL: gone once the last lease ran out.
      for (const client of clients) {
        await eventually(async () => (await scanKeys(client, `*${prefix}*`)).length === 0, TTL_MS * 4);
      }
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  }, 240_000);
});
