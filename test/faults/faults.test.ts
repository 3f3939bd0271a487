// The short profile of the fault suite (about two minutes), run by `vitest run` on every change:
// zero violations within the guarantees, every deliberate violation flagged, no unhandled
// rejection, no key without a TTL and none left once the TTLs ran out.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from './profile.js';
import { type SuiteReport, writeReport } from './report.js';
import { runSuite } from './suite.js';

const here = fileURLToPath(new URL('.', import.meta.url));
// Generous: the suite shares two cores with Redis servers, its own workers and other test files.
const SUITE_TIMEOUT_MS = 420_000;

describe('fault suite (short profile)', () => {
  let report: SuiteReport;

  beforeAll(async () => {
    report = await runSuite(parseProfile('short'), {
      root: join(here, 'results', 'tmp', 'vitest'),
      command: 'vitest run test/faults/faults.test.ts',
    });
    // Written under results/tmp (git-ignored) so a test run never dirties the committed report.
    writeReport(join(here, 'results', 'tmp'), report, 'vitest-short');
  }, SUITE_TIMEOUT_MS);

  it('finds no violation within the guarantees', () => {
    const found = report.scenarios.flatMap((s) => s.violations.map((v) => `${s.id} ${v.kind}: ${v.detail}`));
    expect(found).toEqual([]);
  });

  it('flags every deliberate violation (scenario 9 and the four broken variants)', () => {
    const expected = report.scenarios.filter((s) => s.expectFlags);
    expect(expected.map((s) => s.id)).toEqual(['9', 'C1', 'C2', 'C3', 'C4']);
    for (const s of expected) expect(s.flagged.length, `scenario ${s.id}`).toBeGreaterThan(0);
  });

  it('sees no unhandled rejection and leaves no key behind', () => {
    expect(report.totals.unhandledRejections).toBe(0);
    expect(report.totals.keysWithoutTtl).toBe(0);
    expect(report.totals.leftoverKeys).toBe(0);
  });

  it('checked grants and injected faults of every kind it promises', () => {
    expect(report.totals.grantsChecked).toBeGreaterThan(1_000);
    for (const kind of [
      'kill-client',
      'pause-client',
      'block-event-loop',
      'kill-redis',
      'pause-redis',
      'restart-redis',
    ]) {
      expect(report.totals.faultsByKind[kind], kind).toBeGreaterThan(0);
    }
    for (const kind of ['script-flush', 'client-kill', 'cluster-failover', 'cluster-kill-primary', 'drop-replies']) {
      expect(report.totals.faultsByKind[kind], kind).toBeGreaterThan(0);
    }
    expect(report.ok).toBe(true);
  });
});
