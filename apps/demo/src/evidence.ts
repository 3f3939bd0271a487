// What the demo's processes record, and how: one JSON line per event on stdout (`EV {...}`), read by
// the orchestrator. Times are on the host's monotonic clock, so every process's events compare.

/** Milliseconds on CLOCK_MONOTONIC, shared by every process on this host. */
export function hostNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** A payment attempt that got the invoice's lock: its window and what the fenced store answered. */
export interface PayEvent {
  readonly k: 'pay';
  readonly replica: string;
  readonly invoice: string;
  readonly fence: number;
  /** Granted at. */
  readonly t0: number;
  /** End of the lease's validity window as granted (auto-extension may move it; see `v1`). */
  readonly v: number;
  /** Validity end when the method finished (after auto-extensions), or `v` if the lease was lost. */
  readonly v1: number;
  /** Method finished at. */
  readonly t1: number;
  /** The store's answer: `paid` (charged now), `already` (paid before) or `stale` (fence rejected). */
  readonly result: 'paid' | 'already' | 'stale';
  /** True when this call was told to pause (a simulated stop-the-world pause). */
  readonly paused: boolean;
}

/** An export request that got one of its tenant's permits (POST /exports, `@Limited`). */
export interface ExportEvent {
  readonly k: 'export';
  readonly replica: string;
  readonly tenant: string;
  readonly plan: 'pro' | 'free';
  readonly limit: number;
  /** Arrived at the controller. */
  readonly arrived: number;
  readonly t0: number;
  readonly t1: number;
  /** End of the permit's validity window. */
  readonly v1: number;
  readonly jobId: string;
}

/** A cron fire on one replica (every replica fires; the lock lets one run). */
export interface CronFireEvent {
  readonly k: 'cron-fire';
  readonly replica: string;
  /** The schedule slot: epoch seconds of the tick divided by the period. */
  readonly slot: number;
}

/** A cron run: the replica that got the tick's lock. */
export interface CronRunEvent {
  readonly k: 'cron-run';
  readonly replica: string;
  readonly slot: number;
  readonly fence: number;
}

/** A report request admitted by `concurrencyLimit` (GET /reports/:id). */
export interface ReportEvent {
  readonly k: 'report';
  readonly replica: string;
  readonly limit: number;
  readonly t0: number;
  readonly t1: number;
  /** End of the permit's validity window (it ends early if the permit was lost). */
  readonly v1: number;
  /** The work was cut short: the client went away, or the permit was lost. */
  readonly aborted: boolean;
  /** The permit was lost (its process paused past the claim window, say). */
  readonly lost: boolean;
}

/** A BullMQ export job run by a worker under its tenant's permit (`limitProcessor`). */
export interface JobEvent {
  readonly k: 'job';
  readonly worker: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly limit: number;
  readonly t0: number;
  readonly t1: number;
  /** Times the job was started; more than 1 means it was parked at least once. */
  readonly starts: number;
}

/** Every event kind. */
export type DemoEvent = PayEvent | ExportEvent | CronFireEvent | CronRunEvent | ReportEvent | JobEvent;

/** Writes one event for the orchestrator. */
export function emit(event: DemoEvent): void {
  process.stdout.write(`EV ${JSON.stringify(event)}\n`);
}

/** The event in a child's output line, if it is one. */
export function parseEvent(line: string): DemoEvent | undefined {
  if (!line.startsWith('EV ')) return undefined;
  try {
    return JSON.parse(line.slice(3)) as DemoEvent;
  } catch {
    return undefined;
  }
}
