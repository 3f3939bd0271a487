// Prints the verdict table.
import type { VerdictRow } from './checks.js';

/** The table as text: area, check, measured, PASS/FAIL. */
export function formatVerdict(rows: readonly VerdictRow[]): string {
  const widths = [
    Math.max(4, ...rows.map((r) => r.area.length)),
    Math.max(5, ...rows.map((r) => r.check.length)),
    Math.max(8, ...rows.map((r) => r.measured.length)),
  ];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const out = [
    line(['area', 'check', 'measured', 'verdict']),
    line(widths.map((w) => '-'.repeat(w)).concat('-------')),
  ];
  for (const r of rows) out.push(line([r.area, r.check, r.measured, r.pass ? 'PASS' : 'FAIL']));
  return out.join('\n');
}
