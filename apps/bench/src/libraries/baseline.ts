// The `--baseline <rev>` row: Lockstep as built from another commit, run by the same adapter as the
// `lockstep` row, so every workload shows before and after side by side. The main process loads it
// after building; worker processes load it from the environment the main process hands them.
import * as current from '@lockstep/core';
import type { BaselineBuild } from '../infra/baseline-build.js';
import type { LibraryRow } from './library.js';
import { type CoreModule, lockstepInstance } from './lockstep.js';

/** Environment variable carrying the built baseline (JSON of BaselineBuild) to worker processes. */
export const BASELINE_ENV = 'LOCKSTEP_BENCH_BASELINE';

let rows: LibraryRow[] = [];
let loaded: { readonly build: BaselineBuild; readonly core: CoreModule } | undefined;

/** The baseline row, or none when no `--baseline` was given. */
export function baselineRows(): readonly LibraryRow[] {
  return rows;
}

/** The loaded baseline build, if any. */
export function baselineBuild(): BaselineBuild | undefined {
  return loaded?.build;
}

/** The row id of a baseline build: `lockstep@<sha7>`. */
export function baselineId(build: Pick<BaselineBuild, 'short'>): string {
  return `lockstep@${build.short}`;
}

/** Imports the built bundle, registers its row, and exports it to child processes. */
export async function loadBaseline(build: BaselineBuild): Promise<CoreModule> {
  const core = (await import(build.entry)) as CoreModule;
  if (typeof core.Lockstep !== 'function' || typeof core.AcquireTimeoutError !== 'function') {
    throw new Error(`baseline ${build.short}: its bundle exports no Lockstep / AcquireTimeoutError`);
  }
  loaded = { build, core };
  process.env[BASELINE_ENV] = JSON.stringify(build);
  rows = [
    {
      id: baselineId(build),
      library: `Lockstep @ ${build.short}`,
      variant: 'default',
      setting: `the baseline: @lockstep/core built from commit ${build.short} (--baseline), defaults, same adapter as Lockstep`,
      kind: 'baseline',
      hasSemaphore: true,
      hasQuorum: true,
      create: (clients) => lockstepInstance(core, clients, undefined),
    },
  ];
  return core;
}

/** In a worker process: loads the baseline the main process announced, if any. */
export async function loadBaselineFromEnv(): Promise<void> {
  const text = process.env[BASELINE_ENV];
  if (text) await loadBaseline(JSON.parse(text) as BaselineBuild);
}

/** A build of @lockstep/core a Lockstep-only workload runs: this checkout's, or the baseline's. */
export interface CoreBuild {
  readonly rowId: string;
  readonly library: string;
  readonly kind: 'lockstep' | 'baseline';
  readonly core: CoreModule;
}

/** Lockstep, and the `--baseline` build when there is one (unless `--libs` leaves it out). */
export function coreBuilds(libs: ReadonlySet<string> | undefined): CoreBuild[] {
  const out: CoreBuild[] = [{ rowId: 'lockstep', library: 'Lockstep', kind: 'lockstep', core: current }];
  if (loaded && (!libs || libs.has(baselineId(loaded.build)))) {
    out.push({
      rowId: baselineId(loaded.build),
      library: `Lockstep @ ${loaded.build.short}`,
      kind: 'baseline',
      core: loaded.core,
    });
  }
  return out;
}
