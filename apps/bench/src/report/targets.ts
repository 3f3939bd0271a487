// The targets of issue 16 (and the guarantees that must stay met), checked against one Lockstep row
// of a run: `lockstep`, or the `--baseline` row for the before column. Throughputs are ratios to the
// raw baseline, the best peer or the hold-bound ceiling measured in the same run.
import { MUTEX_CALLERS, SEM_CALLERS, SEM_LIMIT } from '../config.js';
import type { Metrics, RowResult } from '../results.js';
import { int, num } from './format.js';

export type TargetOp = '>=' | '<=' | '==' | '>';

export interface TargetCheck {
  readonly workload: string;
  readonly target: string;
  /** The measured value, formatted with its unit. */
  readonly measured: string;
  /** The bound, formatted with its comparison and unit. */
  readonly bound: string;
  readonly value: number;
  readonly limit: number;
  readonly op: TargetOp;
  readonly pass: boolean;
}

/** Ratio of the deep-queue grant rate at DEEP_MAX waiters to the rate at DEEP_MIN. */
export const DEEP_MIN = 10;
export const DEEP_MAX = 10_000;

const f = (v: number) => (Number.isInteger(v) ? int(v) : num(v));

export function find(rows: readonly RowResult[], workload: string, rowId: string): RowResult | undefined {
  return rows.find((r) => r.workload === workload && r.rowId === rowId);
}

/** One check: `value op limit`; NaN (a missing figure) never passes. */
export function check(
  workload: string,
  target: string,
  value: number | undefined,
  limit: number,
  op: TargetOp,
  unit = '',
): TargetCheck {
  const v = value ?? Number.NaN;
  const pass =
    Number.isFinite(v) &&
    Number.isFinite(limit) &&
    (op === '>=' ? v >= limit : op === '<=' ? v <= limit : op === '>' ? v > limit : v === limit);
  const sign = op === '==' ? '=' : op === '>=' ? '≥' : op === '<=' ? '≤' : '>';
  return {
    workload,
    target,
    measured: Number.isFinite(v) ? `${f(v)}${unit}` : '—',
    bound: `${sign} ${f(limit)}${unit}`,
    value: v,
    limit,
    op,
    pass,
  };
}

/** Best value of `key` over the peer rows of a workload (higher is better). */
function bestPeer(rows: readonly RowResult[], workload: string, key: string): number {
  const values = rows
    .filter((r) => r.workload === workload && r.kind === 'peer')
    .map((r) => r.median[key] ?? Number.NaN)
    .filter(Number.isFinite);
  return values.length ? Math.max(...values) : Number.NaN;
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? a / b : Number.NaN;

/** The hold-bound ceiling of a contended row: `perHold` grants per measured mean hold. */
export function holdCeiling(m: Metrics, perHold: number): number {
  return (perHold * 1_000) / (m.holdMeanMs ?? Number.NaN);
}

/**
 * Acquisitions/s as a share of the hold-bound ceiling (`limit` / measured hold): the mean number of
 * holders over the window (holds clipped to its end) over `limit`; from the mean hold when a row
 * has no `meanHolders`.
 */
export function ceilingShare(m: Metrics, limit: number): number {
  const holders = m.meanHolders;
  if (holders !== undefined && Number.isFinite(holders)) return holders / limit;
  return ratio(m.opsPerSec, holdCeiling(m, limit));
}

/** Every target the rows of `rowId` can be checked against (rows of workloads that did not run are skipped). */
export function checkTargets(rows: readonly RowResult[], rowId = 'lockstep'): TargetCheck[] {
  const out: TargetCheck[] = [];
  const of = (w: string) => find(rows, w, rowId)?.median;
  const raw = (w: string) => rows.find((r) => r.workload === w && r.kind === 'raw')?.median;

  const u = of('uncontended');
  if (u) {
    out.push(
      check(
        'uncontended',
        'pairs/s vs raw SET NX PX + compare-and-delete',
        ratio(u.opsPerSec, raw('uncontended')?.opsPerSec),
        0.95,
        '>=',
        '×',
      ),
    );
    out.push(
      check('uncontended', 'server script µs per pair (INFO commandstats usec)', u.scriptUsPerOp, 8, '<=', ' µs'),
    );
  }
  const p = of('parallel');
  if (p) {
    out.push(
      check(
        'parallel',
        '64 callers, one connection: pairs/s vs raw',
        ratio(p.opsPerSec, raw('parallel')?.opsPerSec),
        0.9,
        '>=',
        '×',
      ),
    );
    out.push(
      check(
        'parallel',
        '64 callers: pairs/s vs the best peer (ahead of every peer)',
        ratio(p.opsPerSec, bestPeer(rows, 'parallel', 'opsPerSec')),
        1,
        '>',
        '×',
      ),
    );
  }

  for (const w of ['mutex-in-process', 'mutex-cross-process']) {
    const m = of(w);
    if (!m) continue;
    // Issue 16 names the in-process shape; the cross-process one keeps its earlier bound.
    const bound = w === 'mutex-in-process' ? 0.9 : 0.95;
    out.push(
      check(w, 'acquisitions/s vs hold-bound ceiling (share of the window held)', ceilingShare(m, 1), bound, '>=', '×'),
    );
    out.push(check(w, 'Jain fairness', m.jain, 0.95, '>='));
    out.push(
      check(
        w,
        'wait p99 vs ideal FIFO wait (callers × measured hold)',
        ratio(m.waitP99Ms, MUTEX_CALLERS * (m.holdMeanMs ?? Number.NaN)),
        2,
        '<=',
        '×',
      ),
    );
    out.push(check(w, 'timeouts', m.timeouts, 0, '=='));
    out.push(check(w, 'client commands (round trips) per acquisition', m.cmdsPerOp, 6, '<='));
  }

  const relay = of('relay');
  if (relay) out.push(check('relay', 'release→acquire gap p50', relay.gapP50Ms, 0.3, '<=', ' ms'));

  for (const w of ['semaphore-in-process', 'semaphore-cross-process']) {
    const m = of(w);
    if (!m) continue;
    const bound = w === 'semaphore-in-process' ? 0.9 : 0.95;
    out.push(
      check(
        w,
        `acquisitions/s vs hold-bound ceiling (share of ${SEM_LIMIT} permits held)`,
        ceilingShare(m, SEM_LIMIT),
        bound,
        '>=',
        '×',
      ),
    );
    out.push(check(w, 'Jain fairness', m.jain, 0.95, '>='));
    out.push(
      check(
        w,
        'wait p99 vs ideal FIFO wait ((callers / limit) × measured hold)',
        ratio(m.waitP99Ms, (SEM_CALLERS / SEM_LIMIT) * (m.holdMeanMs ?? Number.NaN)),
        2,
        '<=',
        '×',
      ),
    );
    out.push(check(w, 'timeouts', m.timeouts, 0, '=='));
    out.push(check(w, 'client commands (round trips) per acquisition', m.cmdsPerOp, 8, '<='));
    out.push(check(w, 'max concurrent holders', m.maxConcurrent, SEM_LIMIT, '<='));
  }

  const deep = rows.filter((r) => r.workload === 'deep-queue' && r.rowId === rowId);
  const at = (depth: number) => deep.find((r) => r.median.waiters === depth)?.median.opsPerSec;
  if (at(DEEP_MIN) !== undefined && at(DEEP_MAX) !== undefined) {
    out.push(
      check(
        'deep-queue',
        `grant rate at ${DEEP_MAX.toLocaleString('en-US')} waiters vs at ${DEEP_MIN}`,
        ratio(at(DEEP_MAX), at(DEEP_MIN)),
        0.8,
        '>=',
        '×',
      ),
    );
  }
  return out;
}
