// The Targets table's computation (pure): ratios within one run, bounds, and the baseline column.
import { describe, expect, it } from 'vitest';
import { ceilingShare, check, checkTargets } from '../src/report/targets.js';
import type { Metrics, RowResult } from '../src/results.js';
import { meanHoldersOver } from '../src/workloads/contention-metrics.js';

function row(workload: string, rowId: string, kind: RowResult['kind'], median: Metrics): RowResult {
  return { workload, rowId, library: rowId, variant: 'default', setting: '', kind, median, rounds: [median] };
}

const byTarget = (rows: readonly RowResult[], rowId = 'lockstep') =>
  new Map(checkTargets(rows, rowId).map((t) => [`${t.workload} ${t.target}`, t]));

describe('checkTargets', () => {
  it('rates uncontended pairs/s against raw and script µs against 8', () => {
    const rows = [
      row('uncontended', 'lockstep', 'lockstep', { opsPerSec: 960, scriptUsPerOp: 7.5 }),
      row('uncontended', 'raw', 'raw', { opsPerSec: 1_000 }),
      row('uncontended', 'lockstep@abc1234', 'baseline', { opsPerSec: 820, scriptUsPerOp: 22.7 }),
    ];
    const now = byTarget(rows);
    const pairs = now.get('uncontended pairs/s vs raw SET NX PX + compare-and-delete');
    expect(pairs?.value).toBeCloseTo(0.96);
    expect(pairs?.pass).toBe(true);
    expect(pairs?.bound).toBe('≥ 0.95×');
    expect(now.get('uncontended server script µs per pair (INFO commandstats usec)')?.pass).toBe(true);
    const before = byTarget(rows, 'lockstep@abc1234');
    expect(before.get('uncontended pairs/s vs raw SET NX PX + compare-and-delete')?.pass).toBe(false);
    expect(before.get('uncontended server script µs per pair (INFO commandstats usec)')?.measured).toBe('22.7 µs');
  });

  it('wants 64 parallel callers at 0.90× raw and strictly ahead of the best peer', () => {
    const rows = [
      row('parallel', 'lockstep', 'lockstep', { opsPerSec: 9_000 }),
      row('parallel', 'raw', 'raw', { opsPerSec: 10_000 }),
      row('parallel', 'redis-semaphore', 'peer', { opsPerSec: 9_000 }),
      row('parallel', 'redlock4', 'peer', { opsPerSec: 5_000 }),
    ];
    const t = byTarget(rows);
    expect(t.get('parallel 64 callers, one connection: pairs/s vs raw')?.pass).toBe(true);
    const ahead = t.get('parallel 64 callers: pairs/s vs the best peer (ahead of every peer)');
    expect(ahead?.value).toBe(1);
    expect(ahead?.pass).toBe(false);
  });

  it('rates contended throughput against the hold-bound ceiling of the row’s own measured hold', () => {
    const mutex = { opsPerSec: 800, holdMeanMs: 1.1, jain: 0.99, waitP99Ms: 30, timeouts: 0, cmdsPerOp: 2 };
    const sem = { ...mutex, opsPerSec: 4_000, holdMeanMs: 1.2, maxConcurrent: 5, waitP99Ms: 20 };
    const t = byTarget([
      row('mutex-in-process', 'lockstep', 'lockstep', mutex),
      row('semaphore-in-process', 'lockstep', 'lockstep', sem),
    ]);
    // 800 / (1000 / 1.1) = 0.88 < 0.90
    const m = t.get('mutex-in-process acquisitions/s vs hold-bound ceiling (share of the window held)');
    expect(m?.value).toBeCloseTo(0.88);
    expect(m?.pass).toBe(false);
    // 4000 / (5 × 1000 / 1.2) = 0.96
    expect(t.get('semaphore-in-process acquisitions/s vs hold-bound ceiling (share of 5 permits held)')?.pass).toBe(
      true,
    );
    // p99 30 ms vs ideal 16 × 1.1 ms: 1.70× ≤ 2×
    expect(t.get('mutex-in-process wait p99 vs ideal FIFO wait (callers × measured hold)')?.value).toBeCloseTo(
      30 / 17.6,
    );
    expect(t.get('mutex-in-process timeouts')?.pass).toBe(true);
    expect(t.get('semaphore-in-process max concurrent holders')?.pass).toBe(true);
  });

  it('rates the deep queue at 10,000 waiters against 10, per build', () => {
    const deep = (rowId: string, kind: RowResult['kind'], waiters: number, opsPerSec: number) =>
      row('deep-queue', rowId, kind, { waiters, opsPerSec });
    const rows = [
      deep('lockstep', 'lockstep', 10, 4_000),
      deep('lockstep', 'lockstep', 10_000, 3_400),
      deep('lockstep@abc1234', 'baseline', 10, 4_000),
      deep('lockstep@abc1234', 'baseline', 10_000, 2_120),
    ];
    const key = 'deep-queue grant rate at 10,000 waiters vs at 10';
    expect(byTarget(rows).get(key)?.value).toBeCloseTo(0.85);
    expect(byTarget(rows).get(key)?.pass).toBe(true);
    expect(byTarget(rows, 'lockstep@abc1234').get(key)?.value).toBeCloseTo(0.53);
    expect(byTarget(rows, 'lockstep@abc1234').get(key)?.pass).toBe(false);
  });

  it('skips workloads that did not run, and a missing figure never passes', () => {
    expect(checkTargets([])).toEqual([]);
    expect(check('w', 't', Number.NaN, 1, '<=').pass).toBe(false);
    expect(check('w', 't', undefined, 0, '==').pass).toBe(false);
    expect(check('w', 't', 0, 0, '==').bound).toBe('= 0');
  });
});

describe('meanHoldersOver', () => {
  it('sums holds clipped to the window end, so a hold stretched past the end does not count beyond it', () => {
    const a = (grantedUs: number, releasedUs: number) => ({ caller: 0, askedUs: grantedUs, grantedUs, releasedUs });
    // Window [0, 1000): holds 0–400, 500–900, and 950–5000 (clipped to 950–1000).
    expect(meanHoldersOver([a(0, 400), a(500, 900), a(950, 5_000)], 1_000, 1_000)).toBeCloseTo(0.85);
    expect(meanHoldersOver([], 0, 0)).toBeNaN();
  });

  it('feeds the ceiling share, which falls back to the mean hold without it', () => {
    expect(ceilingShare({ meanHolders: 4.5 }, 5)).toBeCloseTo(0.9);
    expect(ceilingShare({ opsPerSec: 900, holdMeanMs: 1 }, 1)).toBeCloseTo(0.9);
  });
});
