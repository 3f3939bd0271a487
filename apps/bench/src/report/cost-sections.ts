// Report sections: Redis instructions per pair (callgrind) and the integrations' overheads.
import type { IntegrationRow } from '../results.js';
import type { CallgrindRow } from '../workloads/callgrind.js';
import { num, ratio } from './format.js';
import { label } from './tables.js';

/** Instructions per pair, with ratios to raw, to the empty scripts and to Lockstep. */
export function callgrindSection(rows: readonly CallgrindRow[]): string[] {
  if (!rows.length) return [];
  const per = (id: string) => rows.find((r) => r.rowId === id)?.instructionsPerPair;
  const raw = per('raw');
  const empty = per('empty-scripts');
  const ls = per('lockstep');
  const x = (v: number, base: number | undefined) => ratio(base ? v / base : Number.NaN);
  const first = rows[0];
  const out = [
    '## 10. Redis instructions per uncontended pair (callgrind)',
    '',
    `redis-server under \`valgrind --tool=callgrind\` (hz 1, no persistence, no jemalloc background thread), fresh for every run; each row runs ${first?.warmPairs ?? '?'} pairs on one server and ${first ? first.warmPairs + first.pairs : '?'} on another, sequentially on new names, and the difference of the two totals over ${first?.pairs ?? '?'} is the instructions one acquire + release costs Redis (startup, connection, script loading and warm-up cancel out). Instruction counts do not depend on machine load.`,
    '',
    '| Row | instructions / pair | × raw | × empty scripts | × Lockstep | script calls of a pair |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const v = r.instructionsPerPair;
    const scripts = r.scripts.map((s) => `${s.keys} keys + ${s.args} args`).join(', ') || '—';
    const name = r.rowId === 'empty-scripts' ? 'empty scripts (`return 1`)' : label({ ...r, variant: 'default' });
    out.push(`| ${name} | ${num(v)} | ${x(v, raw)} | ${x(v, empty)} | ${x(v, ls)} | ${scripts} |`);
  }
  out.push(
    '',
    'The empty-scripts row sends EVALSHA of `return 1` with exactly the key and argument counts of Lockstep’s pair (read from the commands it sent): the floor of any design that runs one script to acquire and one to release.',
    '',
  );
  return out;
}

/** Ratios far from 1 keep two significant digits (an empty method against a Redis round trip). */
const smallRatio = (v: number) => (Number.isFinite(v) && v > 0 && v < 0.01 ? `${v.toPrecision(2)}×` : ratio(v));

const fmt = (v: number, metric: string) => (metric.includes('ms') ? v.toFixed(3) : num(v));

/** Each integration with and without Lockstep in front of the same work, as ratios. */
export function integrationsSection(rows: readonly IntegrationRow[]): string[] {
  if (!rows.length) return [];
  const out = [
    '## 11. Integration overheads: the same work with and without Lockstep',
    '',
    '| Integration | Shape | Metric | without Lockstep | with Lockstep | with / without |',
    '|---|---|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.integration} | ${r.shape} | ${r.metric} (${r.better} is better) | ${fmt(r.without, r.metric)} | ${fmt(r.with, r.metric)} | ${smallRatio(r.ratio)} |`,
    );
  }
  out.push(
    '',
    'Express: the route of results/express.md (its own process, keep-alive connections), bare and behind `concurrencyLimit` with a limit nobody reaches. Nest: a provider method called back to back in `NestFactory.createApplicationContext` with `LockstepModule.forRoot`, undecorated and with `@Locked` on one name (uncontended: calls are sequential). BullMQ: plain BullMQ against `limitProcessor` (section 9); its jobs/s ratio includes the per-key limits themselves (at most 15 jobs of the 10 keys run at once, against 40 worker slots), so it bounds the overhead from above. Each with-row takes an acquire + release round trip pair per call, so its cost per call is about one uncontended pair (section 1).',
    '',
  );
  return out;
}
