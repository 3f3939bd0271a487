// Report section: the cost of the diagnostics channels (pairs/s with the OTel bridge over none).
import type { RowResult } from '../results.js';
import { ms, num, ratio } from './format.js';

/** Appends the observability-cost section when the `diagnostics` workload ran. */
export function diagnosticsSection(rows: readonly RowResult[], out: string[]): void {
  if (!rows.length) return;
  out.push('## 9. Observability cost (Lockstep): uncontended pairs, no subscriber vs. the OTel bridge', '');
  out.push(
    '| Row | pairs/s | × no subscriber | client CPU µs / pair | × no subscriber | acquire p50 | acquire p99 |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    const m = r.median;
    // Each bridge row is compared with the row of the same backend without a subscriber.
    const base = rows.find((b) => b.rowId === r.rowId.replace(/:otel$/, ''))?.median;
    const x = (key: string) => (base?.[key] ? (m[key] ?? Number.NaN) / base[key] : Number.NaN);
    out.push(
      `| ${r.setting} | ${num(m.opsPerSec)} | ${ratio(x('opsPerSec'))} | ${num(m.clientCpuUsPerOp)} | ${ratio(x('clientCpuUsPerOp'))} | ${ms(m.acquireP50Ms)} | ${ms(m.acquireP99Ms)} |`,
    );
  }
  out.push(
    '',
    'Client CPU per pair (this process’s user + system time over the measured window) holds up on a busy machine where pairs/s does not. With nobody subscribed, Lockstep checks `hasSubscribers` on its channels and publishes nothing; the no-subscriber rows are measured interleaved with the bridge rows. The in-memory backend has no network round trip, so there the bridge’s cost is a larger share of each pair.',
    '',
  );
}
