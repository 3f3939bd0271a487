// Mutual exclusion and the semaphore limit, checked by the history checker over contenders in
// several OS processes, on a standalone server, the Cluster and five quorum servers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import '@lockstep/test-utils/context-types';
import { uniquePrefix } from '@lockstep/test-utils';
import { checkHistory } from './support/checker.js';
import type { WorkerConfig } from './support/contender-worker.js';
import { readHistory } from './support/history.js';
import { runWorkers } from './support/workers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function historyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-history-'));
  dirs.push(dir);
  return dir;
}

type Base = Omit<WorkerConfig, 'out' | 'label'>;

async function runProcesses(processes: number, base: Base) {
  const dir = historyDir();
  const summaries = await runWorkers(
    Array.from({ length: processes }, (_, i) => ({ ...base, out: join(dir, `p${i}.jsonl`), label: `p${i}` })),
  );
  const events = readHistory(dir);
  return { summaries, events };
}

describe('mutual exclusion across processes', () => {
  it('standalone: 32 contenders in 2 processes, thousands of grants, no overlap, fences in order', async () => {
    const { summaries, events } = await runProcesses(2, {
      target: { kind: 'standalone', ports: [inject('standalonePort')] },
      mode: 'lock',
      prefix: uniquePrefix('mx'),
      names: ['invoice'],
      contenders: 16,
      iterations: 100,
      holdMs: 0,
      ttlMs: 10_000,
      waitMs: 60_000,
    });
    const grants = summaries.reduce((sum, s) => sum + s.grants, 0);
    expect(grants).toBe(3_200);
    const result = checkHistory(events, () => 1);
    expect(result.windows).toBe(3_200);
    expect(result.violations).toEqual([]);
    expect(result.maxConcurrent.get('invoice')).toBe(1);
  });

  it('cluster: 32 contenders in 2 processes over several slots, no overlap, fences in order', async () => {
    const { summaries, events } = await runProcesses(2, {
      target: { kind: 'cluster', ports: inject('clusterPorts') },
      mode: 'lock',
      prefix: uniquePrefix('mxc'),
      names: ['a', 'b', 'c', 'd'],
      contenders: 16,
      iterations: 80,
      holdMs: 0,
      ttlMs: 10_000,
      waitMs: 60_000,
    });
    expect(summaries.reduce((sum, s) => sum + s.failures, 0)).toBe(0);
    const result = checkHistory(events, () => 1);
    expect(result.windows).toBe(2_560);
    expect(result.names).toBe(4);
    expect(result.violations).toEqual([]);
  });

  it('quorum: 16 contenders in 2 processes on five servers, no overlap', async () => {
    const { events } = await runProcesses(2, {
      target: { kind: 'quorum', ports: inject('quorumPorts') },
      mode: 'lock',
      prefix: uniquePrefix('mxq'),
      names: ['payout'],
      contenders: 8,
      iterations: 25,
      holdMs: 0,
      ttlMs: 5_000,
      waitMs: 60_000,
    });
    const result = checkHistory(events, () => 1);
    expect(result.windows).toBeGreaterThan(300);
    expect(result.violations).toEqual([]);
  });
});

describe('semaphore limit across processes', () => {
  it('standalone: 64 weighted contenders in 2 processes never exceed the limit', async () => {
    const { summaries, events } = await runProcesses(2, {
      target: { kind: 'standalone', ports: [inject('standalonePort')] },
      mode: 'semaphore',
      prefix: uniquePrefix('sl'),
      names: ['exports'],
      contenders: 32,
      iterations: 50,
      holdMs: 1,
      ttlMs: 10_000,
      waitMs: 60_000,
      limit: 5,
      weights: [1, 2, 1, 3],
    });
    expect(summaries.reduce((sum, s) => sum + s.grants, 0)).toBe(3_200);
    const result = checkHistory(events, () => 5);
    expect(result.violations).toEqual([]);
    expect(result.maxConcurrent.get('exports')).toBeLessThanOrEqual(5);
    expect(result.maxConcurrent.get('exports')).toBeGreaterThanOrEqual(4);
  });

  it('cluster: 64 contenders in 2 processes never exceed the limit', async () => {
    const { events } = await runProcesses(2, {
      target: { kind: 'cluster', ports: inject('clusterPorts') },
      mode: 'semaphore',
      prefix: uniquePrefix('slc'),
      names: ['x', 'y'],
      contenders: 32,
      iterations: 40,
      holdMs: 1,
      ttlMs: 10_000,
      waitMs: 60_000,
      limit: 3,
    });
    const result = checkHistory(events, () => 3);
    expect(result.windows).toBe(2_560);
    expect(result.violations).toEqual([]);
  });
});
