// The suite's report: totals over every scenario, percentiles of the measurements, and the JSON and
// markdown files written after a run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from './scenarios/scenario-run.js';

/** p50 / p95 / max of one measurement, in ms. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/** The whole run. */
export interface SuiteReport {
  readonly profile: string;
  readonly command: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly environment: string;
  readonly ok: boolean;
  readonly totals: {
    readonly grantsChecked: number;
    readonly violations: number;
    readonly flagged: number;
    readonly faults: number;
    readonly faultsByKind: Record<string, number>;
    readonly unhandledRejections: number;
    readonly keysWithoutTtl: number;
    readonly leftoverKeys: number;
    /** Acquisition failures by code, and other counters (background errors passed to onError). */
    readonly failures: Record<string, number>;
    readonly counters: Record<string, number>;
  };
  readonly metrics: Record<string, Summary>;
  readonly scenarios: readonly ScenarioResult[];
}

/** Percentiles of a list (empty → zeros). */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { n: sorted.length, p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted.at(-1) ?? 0) };
}

/** Adds the scenarios up. A run is ok with no violation, no unhandled rejection, no key left and every expected flag raised. */
export function buildReport(
  profile: string,
  command: string,
  startedAt: Date,
  durationMs: number,
  environment: string,
  scenarios: readonly ScenarioResult[],
): SuiteReport {
  const faultsByKind: Record<string, number> = {};
  const metrics: Record<string, number[]> = {};
  const failures: Record<string, number> = {};
  const counters: Record<string, number> = {};
  let grants = 0;
  let violations = 0;
  let flagged = 0;
  let unhandled = 0;
  let noTtl = 0;
  let leftover = 0;
  let missingFlags = false;
  for (const s of scenarios) {
    grants += s.grants;
    violations += s.violations.length;
    flagged += s.flagged.length;
    unhandled += s.unhandled;
    noTtl += s.keysWithoutTtl;
    leftover += s.leftoverKeys;
    if (s.expectFlags && s.flagged.length === 0) missingFlags = true;
    for (const [kind, n] of Object.entries(s.faults)) faultsByKind[kind] = (faultsByKind[kind] ?? 0) + n;
    for (const [code, n] of Object.entries(s.failures)) failures[code] = (failures[code] ?? 0) + n;
    for (const [name, n] of Object.entries(s.counters)) counters[name] = (counters[name] ?? 0) + n;
    for (const [name, values] of Object.entries(s.metrics)) metrics[name] = [...(metrics[name] ?? []), ...values];
  }
  const faults = Object.values(faultsByKind).reduce((a, b) => a + b, 0);
  return {
    profile,
    command,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(durationMs),
    environment,
    ok: violations === 0 && unhandled === 0 && leftover === 0 && noTtl === 0 && !missingFlags,
    totals: {
      grantsChecked: grants,
      violations,
      flagged,
      faults,
      faultsByKind,
      unhandledRejections: unhandled,
      keysWithoutTtl: noTtl,
      leftoverKeys: leftover,
      failures,
      counters,
    },
    metrics: Object.fromEntries(Object.entries(metrics).map(([name, values]) => [name, summarize(values)])),
    scenarios,
  };
}

function list(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort();
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}

/** The short markdown summary. */
export function renderMarkdown(r: SuiteReport): string {
  const t = r.totals;
  const lines = [
    `# Fault suite: ${r.ok ? 'PASS' : 'FAIL'} (profile ${r.profile})`,
    '',
    `Command: \`${r.command}\` — started ${r.startedAt}, took ${(r.durationMs / 1000).toFixed(0)} s on ${r.environment}.`,
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Grants checked | ${t.grantsChecked} |`,
    `| Violations within the guarantees | ${t.violations} |`,
    `| Violations flagged on purpose (non-guarantees, broken variants) | ${t.flagged} |`,
    `| Faults injected | ${t.faults} (${Object.entries(t.faultsByKind)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}) |`,
    `| Unhandled rejections | ${t.unhandledRejections} |`,
    `| Keys without TTL / left after the longest TTL | ${t.keysWithoutTtl} / ${t.leftoverKeys} |`,
    `| Acquisition failures by code | ${list(t.failures)} |`,
    `| Other counts | ${list(t.counters)} |`,
    '',
    '| Measurement (ms) | n | p50 | p95 | max |',
    '|---|---|---|---|---|',
    ...Object.entries(r.metrics)
      .sort()
      .map(([name, s]) => `| ${name} | ${s.n} | ${s.p50} | ${s.p95} | ${s.max} |`),
    '',
    '| # | Scenario | Grants | Violations | Flagged | Faults | Time (s) |',
    '|---|---|---|---|---|---|---|',
    ...r.scenarios.map(
      (s) =>
        `| ${s.id} | ${s.title} | ${s.grants} | ${s.violations.length} | ${s.flagged.length}${s.expectFlags ? ' (expected)' : ''} | ${Object.values(
          s.faults,
        ).reduce((a, b) => a + b, 0)} | ${(s.durationMs / 1000).toFixed(1)} |`,
    ),
  ];
  const notes = r.scenarios.flatMap((s) => s.notes.map((n) => `- ${s.id}: ${n}`));
  if (notes.length > 0) lines.push('', '## Notes', '', ...notes);
  const found = r.scenarios.flatMap((s) =>
    s.violations
      .slice(0, 5)
      .flatMap((v) => [
        `- ${s.id} ${v.kind}: ${v.detail}`,
        ...(v.explain && v.explain.length > 0 ? ['', '  ```', ...v.explain.map((l) => `  ${l}`), '  ```', ''] : []),
      ]),
  );
  if (found.length > 0) lines.push('', '## Violations (first 5 per scenario)', '', ...found);
  return `${lines.join('\n')}\n`;
}

/** Writes `latest.json` and `latest.md` into `dir`. */
export function writeReport(dir: string, report: SuiteReport, basename = 'latest'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${basename}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `${basename}.md`), renderMarkdown(report));
}
