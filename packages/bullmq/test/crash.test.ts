import { join } from 'node:path';
import { Lockstep } from '@lockstep/core';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';
import type { GatedWorkerConfig } from './support/gated-worker.js';
import { intervalsOf, maxConcurrency, readHistory, until } from './support/harness.js';
import { processSuite } from './support/process-suite.js';

describe('a worker killed with SIGKILL mid-job', () => {
  const suite = processSuite();

  it('gives its permits back within the TTL; the stalled jobs re-run under the limit', async () => {
    const redis = standaloneClient();
    const fresh = suite.queue(redis);
    // a's locks are short, so its jobs are found stalled soon after the kill; b's are long, so a
    // loaded machine cannot make b's own jobs look stalled.
    const base = (label: string, jobMs: number, lockDurationMs: number): GatedWorkerConfig => ({
      port: standalonePort(),
      queue: fresh.name,
      bullPrefix: fresh.bullPrefix,
      prefix: fresh.prefix,
      label,
      workers: 1,
      concurrency: 5,
      limits: { k: 2 },
      jobMs,
      ttlMs: 1_000,
      lockDurationMs,
      stalledIntervalMs: 500,
      history: join(fresh.dir, `${label}.jsonl`),
    });
    const a = suite.start(base('a', 60_000, 1_000));
    await a.ready;
    const jobs = await fresh.queue.addBulk(Array.from({ length: 4 }, () => ({ name: 'j', data: { key: 'k' } })));
    const starts = () => readHistory([join(fresh.dir, 'a.jsonl')]).filter((e) => e.e === 'start').length;
    await until(() => starts() === 2, 20_000, 'two jobs running in a');
    const killedAt = await a.kill9();

    const b = suite.start(base('b', 50, 10_000));
    await b.ready;
    const queue = fresh.queue;
    await until(async () => (await queue.getCompletedCount()) === 4, 40_000, 'all 4 completed in b');

    const events = readHistory([join(fresh.dir, 'a.jsonl'), join(fresh.dir, 'b.jsonl')]);
    const intervals = intervalsOf(events, (w) => (w === 'a' ? killedAt : Number.POSITIVE_INFINITY));
    expect(maxConcurrency(intervals).get('k')).toBeLessThanOrEqual(2);
    // The two jobs killed mid-work ran again in b, and every job completed once in b.
    const inA = intervals.filter((i) => i.w === 'a').map((i) => i.job);
    const inB = intervals.filter((i) => i.w === 'b').map((i) => i.job);
    expect(inA).toHaveLength(2);
    expect(new Set(inB)).toEqual(new Set(jobs.map((j) => j.id)));
    expect(inB).toHaveLength(4);
    expect(await queue.getFailedCount()).toBe(0);
    // Nothing stays taken: the dead process's permits expired and b released its own.
    const lockstep = new Lockstep({ redis, prefix: fresh.prefix });
    const state = await lockstep.semaphore(`bq:${fresh.bullPrefix}:${fresh.name}:k`, { limit: 2 }).inspect();
    expect(state.used).toBe(0);
    await lockstep.close();
  });
});
