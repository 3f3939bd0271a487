// The scenario list and the runner: scenarios run one after another; each one's key drain and
// clean-up run in the background while the next scenario starts.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { hostNow } from '../support/history.js';
import type { Profile } from './profile.js';
import { buildReport, type SuiteReport } from './report.js';
import { SCENARIOS } from './scenarios/index.js';
import { ScenarioRun } from './scenarios/scenario-run.js';

/** Options of {@link runSuite}. */
export interface SuiteOptions {
  /** Where histories go (removed after each scenario unless `keepHistory`). */
  readonly root: string;
  /** Only scenarios whose id starts with one of these. */
  readonly only?: readonly string[];
  readonly keepHistory?: boolean;
  readonly command: string;
  /** Called after each scenario's checks (its key drain may still be running). */
  readonly onScenario?: (id: string, title: string, ms: number) => void;
}

function environment(): string {
  let redis = 'redis-server ?';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  } catch {
    // reported as unknown
  }
  // The core under test changes while others work on it: name the commit (and say if it was dirty).
  let core = 'core ?';
  try {
    const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    const dirty = git(['status', '--porcelain', '--', 'packages/core/src']) !== '';
    core = `core ${git(['log', '-1', '--format=%h', '--', 'packages/core'])}${dirty ? '+uncommitted' : ''}`;
  } catch {
    // not a git checkout
  }
  return `Node ${process.version}, ${redis}, ${cpus().length} cores, ${core}`;
}

/** Runs the scenarios of `profile` and returns the report (never throws for a failed scenario). */
export async function runSuite(profile: Profile, options: SuiteOptions): Promise<SuiteReport> {
  const startedAt = new Date();
  const started = hostNow();
  const runs: ScenarioRun[] = [];
  const cleanups: Promise<void>[] = [];
  const selected = SCENARIOS.filter((s) => !options.only || options.only.some((prefix) => s.id.startsWith(prefix)));
  for (const scenario of selected) {
    const run = new ScenarioRun(scenario.id, scenario.title, profile, options.root);
    run.result.expectFlags = scenario.expectFlags ?? false;
    runs.push(run);
    try {
      await scenario.run(run);
    } catch (err) {
      run.result.violations.push({
        kind: 'scenario-error',
        name: scenario.id,
        detail: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    run.finish();
    options.onScenario?.(scenario.id, scenario.title, run.result.durationMs);
    cleanups.push(run.drained().then(() => run.cleanup(options.keepHistory)));
  }
  await Promise.all(cleanups);
  return buildReport(
    profile.name,
    options.command,
    startedAt,
    hostNow() - started,
    environment(),
    runs.map((r) => r.result),
  );
}
