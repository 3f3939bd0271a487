// One process's share of a contended workload: callers loop acquire → hold → release on one name
// until the window ends. Runs in the main process (in-process shape) or in workers (cross-process).
import { closeClients, openClients } from '../infra/clients.js';
import { hold, nowUs, sleepUntil } from '../infra/clock.js';
import { type CommandCounts, diffCommands, snapshotCommands } from '../infra/command-counter.js';
import { type Acquirer, AcquireTimeout } from '../libraries/library.js';
import { rowById } from '../libraries/registry.js';

/** What one process runs. Times are monotonic microseconds (process.hrtime, shared by all processes). */
export interface ContentionSpec {
  readonly rowId: string;
  readonly urls: readonly string[];
  readonly shape: 'mutex' | 'semaphore';
  readonly key: string;
  readonly limit: number;
  readonly callers: number;
  /** Index of this process's first caller among all callers. */
  readonly firstCaller: number;
  readonly holdMs: number;
  /** Callers start at `warmupUs`; only acquisitions from `startUs` on are measured; none start after `endUs`. */
  readonly warmupUs: number;
  readonly startUs: number;
  readonly endUs: number;
}

/** One measured acquisition: asked at `askedUs`, granted at `grantedUs`, released (release called) at `releasedUs`. */
export interface Acquisition {
  readonly caller: number;
  readonly askedUs: number;
  readonly grantedUs: number;
  readonly releasedUs: number;
}

export interface ContentionShare {
  readonly acquisitions: Acquisition[];
  /** Per caller of this process (index = caller - firstCaller): acquisitions granted in the window. */
  readonly perCaller: number[];
  /** Ages at `endUs` of waits still in progress then (a lower bound of their wait). */
  readonly pendingAgesUs: number[];
  readonly timeouts: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Commands this process sent inside the window. */
  readonly commands: CommandCounts;
}

/** Runs one process's callers against the row's library and returns what they measured. */
export async function runContention(spec: ContentionSpec): Promise<ContentionShare> {
  const clients = await openClients(spec.urls);
  const library = rowById(spec.rowId).create(clients);
  try {
    const acquirers: Acquirer[] = [];
    for (let i = 0; i < spec.callers; i++) {
      if (spec.shape === 'semaphore') {
        if (!library.semaphore) throw new Error(`${spec.rowId} has no semaphore`);
        acquirers.push(library.semaphore(spec.key, spec.limit));
      } else {
        acquirers.push(library.mutex(spec.key));
      }
    }
    const acquisitions: Acquisition[] = [];
    const perCaller = new Array<number>(spec.callers).fill(0);
    const waitingSince = new Array<number | undefined>(spec.callers).fill(undefined);
    let timeouts = 0;
    let errors = 0;
    let firstError: string | undefined;
    let before: CommandCounts = {};
    let after: CommandCounts = {};
    let pendingAgesUs: number[] = [];

    const caller = async (index: number) => {
      const acquirer = acquirers[index] as Acquirer;
      while (nowUs() < spec.endUs) {
        const askedUs = nowUs();
        waitingSince[index] = askedUs;
        let held: Awaited<ReturnType<Acquirer['acquire']>>;
        try {
          held = await acquirer.acquire();
        } catch (error) {
          waitingSince[index] = undefined;
          if (nowUs() >= spec.startUs && nowUs() < spec.endUs) {
            if (error instanceof AcquireTimeout) timeouts++;
            else errors++;
          }
          if (!(error instanceof AcquireTimeout)) {
            firstError ??= error instanceof Error ? error.message : String(error);
            await hold(1);
          }
          continue;
        }
        waitingSince[index] = undefined;
        const grantedUs = nowUs();
        if (grantedUs >= spec.endUs) {
          await held.release().catch(() => undefined);
          break;
        }
        await hold(spec.holdMs);
        const releasedUs = nowUs();
        if (grantedUs >= spec.startUs) {
          acquisitions.push({ caller: spec.firstCaller + index, askedUs, grantedUs, releasedUs });
          perCaller[index] = (perCaller[index] ?? 0) + 1;
        }
        try {
          await held.release();
        } catch (error) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    };

    const bookkeeping = (async () => {
      await sleepUntil(spec.startUs);
      before = snapshotCommands();
      await sleepUntil(spec.endUs);
      after = snapshotCommands();
      pendingAgesUs = waitingSince.filter((t): t is number => t !== undefined).map((t) => spec.endUs - t);
    })();

    await sleepUntil(spec.warmupUs);
    await Promise.all([bookkeeping, ...acquirers.map((_, i) => caller(i))]);
    return {
      acquisitions,
      perCaller,
      pendingAgesUs,
      timeouts,
      errors,
      firstError,
      commands: diffCommands(before, after),
    };
  } finally {
    await library.close();
    await closeClients(clients);
  }
}
