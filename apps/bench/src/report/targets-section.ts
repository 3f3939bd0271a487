// Report section: the Targets table, Lockstep beside the `--baseline` build when there is one.
import type { RowResult } from '../results.js';
import { checkTargets, type TargetCheck } from './targets.js';

const verdict = (t: TargetCheck | undefined) => (t === undefined ? '—' : t.pass ? 'PASS' : '**FAIL**');

/** The rows of the Targets table: one per check of Lockstep, with the baseline's check of the same target. */
export function targetsSection(rows: readonly RowResult[], baselineRowId: string | undefined): string[] {
  const now = checkTargets(rows, 'lockstep');
  const before = baselineRowId ? checkTargets(rows, baselineRowId) : [];
  const beforeOf = (t: TargetCheck) => before.find((b) => b.workload === t.workload && b.target === t.target);
  const beforeLabel = baselineRowId ? baselineRowId.replace('lockstep@', 'Lockstep @ ') : '';
  const out = ['## Targets (Lockstep)', ''];
  if (baselineRowId) {
    out.push(
      `| Workload | Target | Bound | Lockstep | Result | ${beforeLabel} (before) | Result before |`,
      '|---|---|---:|---:|---|---:|---|',
    );
    for (const t of now) {
      const b = beforeOf(t);
      out.push(
        `| ${t.workload} | ${t.target} | ${t.bound} | ${t.measured} | ${verdict(t)} | ${b?.measured ?? '—'} | ${verdict(b)} |`,
      );
    }
  } else {
    out.push('| Workload | Target | Bound | Lockstep | Result |', '|---|---|---:|---:|---|');
    for (const t of now) out.push(`| ${t.workload} | ${t.target} | ${t.bound} | ${t.measured} | ${verdict(t)} |`);
  }
  out.push(
    '',
    'Ratios (×) are taken within this run: pairs/s to the raw `SET NX PX` + compare-and-delete row and to the best peer row of the same workload, acquisitions/s to the hold-bound ceiling (limit / measured hold), computed as the mean number of holders over the window with every hold clipped to the window’s end (equal to acquisitions/s × mean hold, without the bias of a last hold stretched past the end), wait p99 to the ideal FIFO wait from the row’s measured mean hold, the deep queue’s grant rate at 10,000 waiters to its rate at 10. Script µs is the `INFO commandstats` usec of EVAL/EVALSHA per uncontended pair.',
    '',
    'On a shared machine these time-based ratios move with the load between rows of one run; callgrind’s instruction counts (section 10, `--callgrind`) do not.',
    '',
  );
  return out;
}
