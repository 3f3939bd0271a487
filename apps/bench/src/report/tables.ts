// Markdown tables of the report: one per workload shape, and Lockstep's ratios to the raw baseline
// and to the best peer.
import type { RowResult } from '../results.js';
import { int, ms, num, pct, ratio } from './format.js';

export type Dir = 'up' | 'down';
export interface MetricDef {
  readonly key: string;
  readonly label: string;
  readonly dir: Dir;
  readonly fmt: (v: number | undefined) => string;
}

export const CONTENDED_METRICS: MetricDef[] = [
  { key: 'opsPerSec', label: 'acquisitions/s', dir: 'up', fmt: num },
  { key: 'waitP50Ms', label: 'wait p50', dir: 'down', fmt: ms },
  { key: 'waitP99Ms', label: 'wait p99', dir: 'down', fmt: ms },
  { key: 'waitMaxMs', label: 'wait max', dir: 'down', fmt: ms },
  { key: 'gapP50Ms', label: 'release→acquire gap p50', dir: 'down', fmt: ms },
  { key: 'cmdsPerOp', label: 'client commands / acquisition', dir: 'down', fmt: num },
  { key: 'serverCallsPerOp', label: 'server calls / acquisition', dir: 'down', fmt: num },
  { key: 'scriptUsPerOp', label: 'server script µs / acquisition', dir: 'down', fmt: num },
  { key: 'jain', label: 'Jain fairness', dir: 'up', fmt: num },
];
export const UNCONTENDED_METRICS: MetricDef[] = [
  { key: 'opsPerSec', label: 'pairs/s', dir: 'up', fmt: num },
  { key: 'acquireP50Ms', label: 'acquire p50', dir: 'down', fmt: ms },
  { key: 'acquireP99Ms', label: 'acquire p99', dir: 'down', fmt: ms },
  { key: 'cmdsPerOp', label: 'client commands / pair', dir: 'down', fmt: num },
  { key: 'serverCallsPerOp', label: 'server calls / pair', dir: 'down', fmt: num },
  { key: 'scriptUsPerOp', label: 'server script µs / pair', dir: 'down', fmt: num },
];
export const RELAY_METRICS: MetricDef[] = [
  { key: 'gapP50Ms', label: 'release→acquire gap p50', dir: 'down', fmt: ms },
  { key: 'gapP99Ms', label: 'release→acquire gap p99', dir: 'down', fmt: ms },
  { key: 'opsPerSec', label: 'hand-offs/s', dir: 'up', fmt: num },
  { key: 'cmdsPerOp', label: 'client commands / acquisition', dir: 'down', fmt: num },
  { key: 'serverCallsPerOp', label: 'server calls / acquisition', dir: 'down', fmt: num },
];

export function label(row: Pick<RowResult, 'kind' | 'library' | 'variant'>): string {
  if (row.kind === 'baseline') return `*${row.library} (before)*`;
  const name = row.kind === 'lockstep' ? `**${row.library}**` : row.library;
  return `${name}${row.variant === 'tuned' && row.kind !== 'raw' ? ' (tuned)' : row.variant === 'stats' ? ' (stats: true)' : ''}`;
}

function best(rows: readonly RowResult[], key: string, dir: Dir): RowResult | undefined {
  let out: RowResult | undefined;
  for (const r of rows) {
    const v = r.median[key];
    if (v === undefined || !Number.isFinite(v)) continue;
    const o = out?.median[key] ?? Number.NaN;
    if (!out || (dir === 'up' ? v > o : v < o)) out = r;
  }
  return out;
}

/** Lockstep's figures against the raw baseline, the best peer and (with `--baseline`) the build before. */
export function ratios(rows: readonly RowResult[], metrics: readonly MetricDef[]): string[] {
  const ls = rows.find((r) => r.rowId === 'lockstep');
  if (!ls) return [];
  const raw = rows.find((r) => r.kind === 'raw');
  const peers = rows.filter((r) => r.kind === 'peer');
  const before = rows.find((r) => r.kind === 'baseline');
  const lines = [
    `| Lockstep vs. | Lockstep | raw baseline | Lockstep / raw | best peer | best peer value | Lockstep / best peer |${before ? ` ${label(before)} | Lockstep / before |` : ''}`,
    `|---|---:|---:|---:|---|---:|---:|${before ? '---:|---:|' : ''}`,
  ];
  for (const m of metrics) {
    const v = ls.median[m.key];
    if (v === undefined || !Number.isFinite(v)) continue;
    const r = raw?.median[m.key];
    const b = best(peers, m.key, m.dir);
    const bv = b?.median[m.key];
    const pv = before?.median[m.key];
    const versus = before ? ` ${m.fmt(pv)} | ${ratio(pv ? v / pv : Number.NaN)} |` : '';
    lines.push(
      `| ${m.label} | ${m.fmt(v)} | ${m.fmt(r)} | ${ratio(r ? v / r : Number.NaN)} | ${b ? label(b) : '—'} | ${m.fmt(bv)} | ${ratio(bv ? v / bv : Number.NaN)} |${versus}`,
    );
  }
  lines.push(
    '',
    'Best peer: the best of all peer rows (default or tuned) for each metric; higher is better for rates and Jain, lower for waits, gaps and commands.',
  );
  return lines;
}

export function uncontendedTable(rows: readonly RowResult[]): string[] {
  const lines = [
    '| Library | pairs/s | acquire p50 | acquire p99 | client cmds / pair | server calls / pair | script µs / pair | Δ | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const m = r.median;
    lines.push(
      `| ${label(r)} | ${num(m.opsPerSec)} | ${ms(m.acquireP50Ms)} | ${ms(m.acquireP99Ms)} | ${num(m.cmdsPerOp)} | ${num(m.serverCallsPerOp)} | ${num(m.scriptUsPerOp)} | ${pct(m.crossCheck)} | ${int(m.errors)} |`,
    );
  }
  return lines;
}

export function contendedTable(rows: readonly RowResult[], mutex: boolean): string[] {
  const lines = [
    `| Library | acq/s | wait p50 | wait p99 | wait max | ${mutex ? 'gap p50 | gap p99 | self hand-off | ' : ''}client cmds / acq | server calls / acq | script µs / acq | Δ | max conc. | timeouts | Jain | starved | hold |`,
    `|---|---:|---:|---:|---:|${mutex ? '---:|---:|---:|' : ''}---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const r of rows) {
    const m = r.median;
    lines.push(
      `| ${label(r)} | ${num(m.opsPerSec)} | ${ms(m.waitP50Ms)} | ${ms(m.waitP99Ms)} | ${ms(m.waitMaxMs)} | ${mutex ? `${ms(m.gapP50Ms)} | ${ms(m.gapP99Ms)} | ${pct(m.selfHandoffShare)} | ` : ''}${num(m.cmdsPerOp)} | ${num(m.serverCallsPerOp)} | ${num(m.scriptUsPerOp)} | ${pct(m.crossCheck)} | ${int(m.maxConcurrent)} | ${int(m.timeouts)} | ${num(m.jain)} | ${int(m.starved)} of ${int(m.callers)} | ${ms(m.holdMeanMs)} |`,
    );
  }
  return lines;
}

export function relayTable(rows: readonly RowResult[]): string[] {
  const lines = [
    '| Library | hand-offs/s | gap p50 | gap p99 | gap max | wait p50 | wait p99 | client cmds / acq | server calls / acq | script µs / acq | Δ | hand-offs measured | timeouts |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const m = r.median;
    lines.push(
      `| ${label(r)} | ${num(m.opsPerSec)} | ${ms(m.gapP50Ms)} | ${ms(m.gapP99Ms)} | ${ms(m.gapMaxMs)} | ${ms(m.waitP50Ms)} | ${ms(m.waitP99Ms)} | ${num(m.cmdsPerOp)} | ${num(m.serverCallsPerOp)} | ${num(m.scriptUsPerOp)} | ${pct(m.crossCheck)} | ${int(m.handoffs)} | ${int(m.timeouts)} |`,
    );
  }
  return lines;
}

/** Errors a row reported (first message per round), so a failure is never silent. */
export function notes(rows: readonly RowResult[]): string[] {
  const lines = rows.flatMap((r) => (r.notes ?? []).map((n) => `- ${label(r)}: ${n}`));
  return lines.length ? ['Notes:', '', ...lines, ''] : [];
}

export function settingsLegend(rows: readonly RowResult[]): string[] {
  const seen = new Map<string, RowResult>();
  for (const r of rows)
    if (!seen.has(r.rowId) && r.workload !== 'deep-queue' && !r.workload.startsWith('memory')) seen.set(r.rowId, r);
  return ['| Row | Settings |', '|---|---|', ...[...seen.values()].map((r) => `| ${label(r)} | ${r.setting} |`)];
}
