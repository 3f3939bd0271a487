// The bookkeeping of one scenario: its history directory, the workers it spawned, the faults it
// injected, its checks, measurements and clean-up (servers stay up until their keys drained).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckOptions, checkHistory } from '../../support/checker.js';
import { explainGrants } from '../../support/explain.js';
import { type HistoryEvent, HistoryWriter, hostNow, readHistory } from '../../support/history.js';
import type { Profile } from '../profile.js';
import type { FaultWorkerConfig } from '../worker/protocol.js';
import { startWorker, type WorkerExit, type WorkerProcess } from '../worker/worker-process.js';

/** A finding: a checker violation, or a scenario expectation that did not hold. */
export interface Finding {
  readonly kind: string;
  readonly name: string;
  readonly detail: string;
  /** For a violation within the guarantees: the grants involved, explained from the history. */
  readonly explain?: readonly string[];
}

/** What a scenario reports. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  /** Grants the checker swept. */
  grants: number;
  /** Violations within the guarantees (the target is 0). */
  readonly violations: Finding[];
  /** Violations the scenario provoked on purpose (non-guarantees, broken variants). */
  readonly flagged: Finding[];
  /** True when the scenario must produce flagged violations to pass. */
  expectFlags: boolean;
  readonly faults: Record<string, number>;
  readonly metrics: Record<string, number[]>;
  readonly failures: Record<string, number>;
  /** Counts that are not faults or findings (background errors passed to onError, …). */
  readonly counters: Record<string, number>;
  unhandled: number;
  keysWithoutTtl: number;
  leftoverKeys: number;
  readonly notes: string[];
  durationMs: number;
}

/** Options of {@link ScenarioRun.check}. */
export interface RunCheck {
  readonly limitOf: (name: string) => number;
  /** Put every violation in `flagged` instead of `violations` (a run provoked on purpose). */
  readonly expected?: boolean;
  readonly options?: CheckOptions;
  /** Only these events (default: the whole history so far). */
  readonly filter?: (event: HistoryEvent) => boolean;
}

/** One scenario in progress. */
export class ScenarioRun {
  readonly dir: string;
  readonly log: HistoryWriter;
  readonly result: ScenarioResult;
  readonly #workers: WorkerProcess[] = [];
  readonly #cleanups: (() => Promise<void>)[] = [];
  readonly #deferred: Promise<void>[] = [];
  readonly #started = hostNow();
  #labels = 0;

  constructor(
    id: string,
    title: string,
    readonly profile: Profile,
    root: string,
  ) {
    this.dir = join(root, id);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.log = new HistoryWriter(join(this.dir, 'parent.jsonl'));
    this.result = {
      id,
      title,
      grants: 0,
      violations: [],
      flagged: [],
      expectFlags: false,
      faults: {},
      metrics: {},
      failures: {},
      counters: {},
      unhandled: 0,
      keysWithoutTtl: 0,
      leftoverKeys: 0,
      notes: [],
      durationMs: 0,
    };
  }

  /** `short` in the short profile, `full` in the full one. */
  pick<T>(short: T, full: T): T {
    return this.profile.name === 'full' ? full : short;
  }

  /** Records an injected fault. */
  fault(kind: string, detail?: string): void {
    this.result.faults[kind] = (this.result.faults[kind] ?? 0) + 1;
    this.log.write({ e: 'fault', kind, t: hostNow(), ...(detail ? { detail } : {}) });
  }

  /** Records a measurement. */
  metric(name: string, value: number): void {
    const values = this.result.metrics[name] ?? [];
    values.push(value);
    this.result.metrics[name] = values;
  }

  /** Adds to a counter reported with the faults' figures. */
  metricCount(name: string, n: number): void {
    this.result.counters[name] = (this.result.counters[name] ?? 0) + n;
  }

  note(text: string): void {
    this.result.notes.push(text);
  }

  /** Records a violation within the guarantees unless `condition` holds. */
  expect(condition: boolean, kind: string, detail: string): void {
    if (!condition) this.result.violations.push({ kind, name: this.result.id, detail });
  }

  /** Spawns a worker whose history goes to this scenario's directory. */
  async spawn(config: Omit<FaultWorkerConfig, 'out' | 'label'> & { readonly label?: string }): Promise<WorkerProcess> {
    const label = config.label ?? `p${this.#labels++}`;
    const worker = await startWorker({ ...config, label, out: join(this.dir, `${label}.jsonl`) }, this.log);
    this.#workers.push(worker);
    return worker;
  }

  /** A worker with no load loop that does what it is told (Lockstep unless `extra.impl` says otherwise). */
  puppet(
    target: FaultWorkerConfig['target'],
    prefix: string,
    extra: Partial<Omit<FaultWorkerConfig, 'out' | 'target' | 'prefix'>> = {},
  ): Promise<WorkerProcess> {
    return this.spawn({ impl: 'lockstep', ...extra, target, prefix });
  }

  /** Waits for every worker spawned so far; counts unhandled rejections and unexpected errors. */
  async settleWorkers(): Promise<WorkerExit[]> {
    const workers = this.#workers.splice(0);
    const exits = await Promise.all(workers.map((w) => w.exited));
    for (const exit of exits) {
      if (exit.unhandled) this.result.unhandled++;
      for (const [code, n] of Object.entries(exit.summary?.failures ?? {})) {
        this.result.failures[code] = (this.result.failures[code] ?? 0) + n;
      }
      if (exit.summary?.backgroundErrors) this.metricCount('backgroundErrors', exit.summary.backgroundErrors);
      for (const text of exit.summary?.unexpected ?? []) {
        this.result.violations.push({ kind: 'unexpected-error', name: this.result.id, detail: text });
      }
      if (!exit.killed && exit.code !== 0) {
        this.result.violations.push({
          kind: 'worker-crash',
          name: this.result.id,
          detail: `exit ${exit.code ?? exit.signal}: ${exit.stderr.slice(-400)}`,
        });
      }
    }
    return exits;
  }

  /** Reads the history and runs the checker over it. */
  check(c: RunCheck): { events: HistoryEvent[]; lossDetectionMs: readonly number[] } {
    const all = readHistory(this.dir);
    const events = c.filter ? all.filter(c.filter) : all;
    const options: CheckOptions = c.options ?? { lossReporting: true, grantRules: true };
    const checked = checkHistory(events, c.limitOf, options);
    this.result.grants += checked.windows;
    if (c.expected) this.result.flagged.push(...checked.violations);
    else {
      // A violation within the guarantees carries the story of its grants (the history is removed
      // after the run unless --keep-history).
      for (const v of checked.violations) {
        this.result.violations.push(v.ids ? { ...v, explain: explainGrants(events, v.ids) } : v);
      }
    }
    for (const ms of checked.lossDetectionMs) this.metric('lossDetectionMs', ms);
    return { events, lossDetectionMs: checked.lossDetectionMs };
  }

  /**
   * Work that may finish while the next scenario runs (waiting out key TTLs); the suite awaits it
   * before this scenario's clean-up.
   */
  defer(work: Promise<void>): void {
    this.#deferred.push(
      work.catch((err: unknown) => {
        this.result.violations.push({ kind: 'scenario-error', name: this.result.id, detail: String(err) });
      }),
    );
  }

  /** Resolves when every deferred piece of work is done. */
  async drained(): Promise<void> {
    await Promise.all(this.#deferred);
  }

  /** Runs `fn` at clean-up time (after the key drain), in reverse order of registration. */
  onCleanup(fn: () => Promise<void>): void {
    this.#cleanups.unshift(fn);
  }

  /** Kills any worker still running, runs the clean-ups and removes the history directory. */
  async cleanup(keepHistory = false): Promise<void> {
    for (const w of this.#workers) if (w.child.exitCode === null && w.child.signalCode === null) w.kill();
    await this.settleWorkers();
    for (const fn of this.#cleanups.splice(0)) await fn().catch(() => undefined);
    this.log.close();
    if (!keepHistory) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stamps the duration. */
  finish(): ScenarioResult {
    this.result.durationMs = hostNow() - this.#started;
    return this.result;
  }
}
