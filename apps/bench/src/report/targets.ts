// The targets of the issue, checked against Lockstep's rows: pass/fail, measured value and bound.
import { MUTEX_CALLERS, SEM_CALLERS, SEM_LIMIT } from '../config.js';
import type { RowResult } from '../results.js';
import { int, num } from './format.js';

export interface TargetCheck {
  readonly workload: string;
  readonly target: string;
  readonly measured: string;
  readonly bound: string;
  readonly pass: boolean;
}

const f = (v: number | undefined) => (Number.isInteger(v) ? int(v) : num(v));

export function find(rows: readonly RowResult[], workload: string, rowId: string): RowResult | undefined {
  return rows.find((r) => r.workload === workload && r.rowId === rowId);
}

function check(
  out: TargetCheck[],
  workload: string,
  target: string,
  measured: number | undefined,
  bound: number,
  op: '>=' | '<=' | '==',
  unit = '',
): void {
  const m = measured ?? Number.NaN;
  const pass = Number.isFinite(m) && (op === '>=' ? m >= bound : op === '<=' ? m <= bound : m === bound);
  out.push({
    workload,
    target,
    measured: `${f(m)}${unit}`,
    bound: `${op === '==' ? '=' : op === '>=' ? '≥' : '≤'} ${f(bound)}${unit}`,
    pass,
  });
}

export function checkTargets(rows: readonly RowResult[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  const ls = (w: string) => find(rows, w, 'lockstep')?.median;

  const u = ls('uncontended');
  const raw = find(rows, 'uncontended', 'raw')?.median;
  if (u && raw)
    check(out, 'uncontended', 'pairs/s ≥ 0.95× raw baseline', u.opsPerSec, 0.95 * (raw.opsPerSec ?? 0), '>=');

  for (const w of ['mutex-in-process', 'mutex-cross-process']) {
    const m = ls(w);
    if (!m) continue;
    const holdMs = m.holdMeanMs ?? Number.NaN;
    check(
      out,
      w,
      'acquisitions/s ≥ 0.95× hold-bound ceiling (1 / measured hold)',
      m.opsPerSec,
      (0.95 * 1_000) / holdMs,
      '>=',
    );
    check(out, w, 'Jain fairness ≥ 0.95', m.jain, 0.95, '>=');
    check(
      out,
      w,
      'wait p99 ≤ 2× ideal FIFO wait (callers × measured hold)',
      m.waitP99Ms,
      2 * MUTEX_CALLERS * holdMs,
      '<=',
      ' ms',
    );
    check(out, w, 'zero timeouts', m.timeouts, 0, '==');
    check(out, w, '≤ 6 client commands (round trips) per acquisition', m.cmdsPerOp, 6, '<=');
  }

  const relay = ls('relay');
  if (relay) check(out, 'relay', 'release→acquire gap p50 ≤ 0.3 ms', relay.gapP50Ms, 0.3, '<=', ' ms');

  for (const w of ['semaphore-in-process', 'semaphore-cross-process']) {
    const m = ls(w);
    if (!m) continue;
    const holdMs = m.holdMeanMs ?? Number.NaN;
    check(
      out,
      w,
      'acquisitions/s ≥ 0.95× ceiling (limit / measured hold)',
      m.opsPerSec,
      (0.95 * SEM_LIMIT * 1_000) / holdMs,
      '>=',
    );
    check(
      out,
      w,
      'wait p99 ≤ 2× ideal FIFO wait ((callers / limit) × measured hold)',
      m.waitP99Ms,
      2 * (SEM_CALLERS / SEM_LIMIT) * holdMs,
      '<=',
      ' ms',
    );
    check(out, w, '≤ 8 client commands (round trips) per acquisition', m.cmdsPerOp, 8, '<=');
    check(out, w, `max concurrent holders ≤ ${SEM_LIMIT}`, m.maxConcurrent, SEM_LIMIT, '<=');
  }

  const deep = rows.filter((r) => r.workload === 'deep-queue');
  const at = (depth: number) => deep.find((r) => r.setting.includes(` ${depth} waiters`))?.median.opsPerSec;
  const at10 = at(10);
  const atMax = at(10_000);
  if (at10 !== undefined && atMax !== undefined) {
    check(
      out,
      'deep-queue',
      'grant rate at 10,000 waiters ≥ 0.8× the rate at 10',
      atMax,
      0.8 * at10,
      '>=',
      ' grants/s',
    );
  }
  return out;
}
