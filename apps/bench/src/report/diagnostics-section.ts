// Report section: the cost of the diagnostics channels (pairs/s with the OTel bridge over none).
import type { RowResult } from '../results.js';
import { ms, num, ratio } from './format.js';

/** Appends the observability-cost section when the `diagnostics` workload ran. */
export function diagnosticsSection(rows: readonly RowResult[], out: string[]): void {
  const base = rows.find((r) => r.rowId === 'lockstep')?.median;
  if (!rows.length || !base) return;
  out.push('## 9. Observability cost (Lockstep): uncontended pairs, no subscriber vs. the OTel bridge', '');
  out.push('| Row | pairs/s | acquire p50 | acquire p99 | × no subscriber |', '|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const m = r.median;
    const x = base.opsPerSec ? (m.opsPerSec ?? Number.NaN) / base.opsPerSec : Number.NaN;
    out.push(`| ${r.setting} | ${num(m.opsPerSec)} | ${ms(m.acquireP50Ms)} | ${ms(m.acquireP99Ms)} | ${ratio(x)} |`);
  }
  out.push(
    '',
    'With nobody subscribed, Lockstep checks `hasSubscribers` on its channels and publishes nothing; the no-subscriber row is the `uncontended` row measured again, interleaved with the bridge row.',
    '',
  );
}
