// Runs rows over rounds, interleaving the libraries (each round in a rotated order) so a noisy
// machine does not favour anyone, and takes the median of every metric over the rounds.
import type { BenchContext } from './context.js';
import { median } from './infra/stats.js';
import type { LibraryRow } from './libraries/library.js';
import type { Metrics, RowResult } from './results.js';

/** What one measured round of one row produced. */
export interface RoundOutcome {
  readonly metrics: Metrics;
  readonly waitsMs?: number[];
  readonly perCaller?: number[];
  readonly note?: string;
}

/** The median of each metric over rounds. */
export function medianMetrics(rounds: readonly Metrics[]): Metrics {
  const out: Metrics = {};
  const names = new Set(rounds.flatMap((r) => Object.keys(r)));
  for (const name of names) out[name] = median(rounds.map((r) => r[name] ?? Number.NaN));
  return out;
}

export function toRow(workload: string, row: LibraryRow, outcomes: readonly RoundOutcome[]): RowResult {
  const notes = [...new Set(outcomes.map((o) => o.note).filter((n): n is string => n !== undefined))];
  const last = outcomes[outcomes.length - 1];
  const waits = outcomes.flatMap((o) => o.waitsMs ?? []);
  return {
    workload,
    rowId: row.id,
    library: row.library,
    variant: row.variant,
    setting: row.setting,
    kind: row.kind,
    median: medianMetrics(outcomes.map((o) => o.metrics)),
    rounds: outcomes.map((o) => o.metrics),
    ...(last?.perCaller ? { perCaller: last.perCaller } : {}),
    ...(waits.length ? { waitsMs: waits } : {}),
    ...(notes.length ? { notes } : {}),
  };
}

/** Runs `run` for every row and round (`rounds`, default the profile's), rows rotated each round; one RowResult per row. */
export async function interleave(
  ctx: BenchContext,
  workload: string,
  allRows: readonly LibraryRow[],
  run: (row: LibraryRow, round: number) => Promise<RoundOutcome>,
  rounds = ctx.profile.rounds,
): Promise<RowResult[]> {
  const libs = ctx.libs;
  const rows = libs ? allRows.filter((r) => libs.has(r.id) || libs.has(r.id.split(':')[0] as string)) : allRows;
  const outcomes = new Map<string, RoundOutcome[]>(rows.map((r) => [r.id, []]));
  for (let round = 0; round < rounds; round++) {
    const shift = round % rows.length;
    const order = [...rows.slice(shift), ...rows.slice(0, shift)];
    if (round % 2 === 1) order.reverse();
    for (const row of order) {
      const started = performance.now();
      const outcome = await run(row, round);
      outcomes.get(row.id)?.push(outcome);
      const m = outcome.metrics;
      ctx.log(
        `  ${workload} r${round + 1} ${row.id}: ${fmt(m.opsPerSec)} ops/s` +
          (Number.isFinite(m.waitP99Ms) ? `, wait p99 ${fmt(m.waitP99Ms)} ms` : '') +
          (Number.isFinite(m.cmdsPerOp) ? `, ${fmt(m.cmdsPerOp)} cmds/op` : '') +
          (m.timeouts ? `, ${m.timeouts} timeouts` : '') +
          (m.errors ? `, ${m.errors} errors` : '') +
          ` (${Math.round(performance.now() - started)} ms)`,
      );
    }
  }
  return rows.map((row) => toRow(workload, row, outcomes.get(row.id) ?? []));
}

function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value >= 100 ? String(Math.round(value)) : value.toFixed(2);
}
