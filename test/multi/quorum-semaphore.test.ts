// Quorum semaphores across 2 OS processes on 5 servers of this file's own, with 2 of the 5 killed
// mid-run: the checker finds at most `limit` weighted permits valid at any instant, and grants go
// on with 3 nodes left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedisServers, uniquePrefix } from '@lockstep/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../support/checker.js';
import type { WorkerConfig } from '../support/contender-worker.js';
import { eventually } from '../support/fixtures.js';
import { hostNow, readHistory } from '../support/history.js';
import { startWorker } from '../support/workers.js';

const LIMIT = 3;
const DURATION_MS = 12_000;

describe('quorum semaphore limit across processes', () => {
  let servers: RedisServer[] = [];
  let dir = '';

  beforeAll(async () => {
    servers = await startRedisServers(5);
    dir = mkdtempSync(join(tmpdir(), 'lockstep-qsem-'));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('2 processes, weights 1 and 2, 2 of 5 nodes killed mid-run: never above the limit', async () => {
    const base: Omit<WorkerConfig, 'out' | 'label'> = {
      target: { kind: 'quorum', ports: servers.map((s) => s.port) },
      mode: 'semaphore',
      prefix: uniquePrefix('qsem'),
      names: ['pool'],
      contenders: 6,
      iterations: 1_000_000,
      durationMs: DURATION_MS,
      holdMs: 5,
      ttlMs: 3_000,
      waitMs: 2_000,
      limit: LIMIT,
      weights: [1, 2],
    };
    const started = hostNow();
    const workers = [0, 1].map((i) => startWorker({ ...base, out: join(dir, `p${i}.jsonl`), label: `p${i}` }));
    // Kill two nodes a third of the way in, and never before the run is under way (on a loaded
    // machine the workers take seconds to start).
    await new Promise((resolve) => setTimeout(resolve, DURATION_MS / 3));
    await eventually(() => readHistory(dir).filter((e) => e.e === 'grant').length > 20, 30_000);
    const killedAt = hostNow();
    await Promise.all([servers[0], servers[3]].map((s) => s?.kill()));
    const results = await Promise.all(workers.map((w) => w.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const events = readHistory(dir);
    const result = checkHistory(events, () => LIMIT);
    expect(result.violations).toEqual([]);
    expect(result.maxConcurrent.get('pool')).toBeLessThanOrEqual(LIMIT);
    // The checker would see an overshoot: the run reaches the limit, so a limit of one less fails.
    expect(checkHistory(events, () => LIMIT - 1).violations.length).toBeGreaterThan(0);
    // Contended enough to matter, before and after the kill.
    const grants = events.filter((e) => e.e === 'grant');
    expect(grants.filter((e) => e.t < killedAt).length).toBeGreaterThan(20);
    expect(grants.filter((e) => e.t > killedAt + 1_000).length).toBeGreaterThan(20);
    expect(result.maxConcurrent.get('pool')).toBeGreaterThanOrEqual(2);
    expect(hostNow() - started).toBeGreaterThan(DURATION_MS);
  }, 120_000);
});
