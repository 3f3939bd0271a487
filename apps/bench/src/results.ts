// The shape of results: per-round metrics, and one row per library × workload × setting.

/** Figures of one measured round, by name (ms, per-second rates, counts). NaN when not applicable. */
export type Metrics = Record<string, number>;

/** One row of the report: the median over rounds of every metric, and the rounds themselves. */
export interface RowResult {
  readonly workload: string;
  readonly rowId: string;
  readonly library: string;
  readonly variant: 'default' | 'tuned' | 'stats';
  readonly setting: string;
  readonly kind: 'lockstep' | 'baseline' | 'raw' | 'peer';
  readonly median: Metrics;
  readonly rounds: Metrics[];
  /** Per-caller acquisitions of the median round (contended workloads), for the chart. */
  readonly perCaller?: number[];
  /** Wait times of all rounds in ms (contended workloads), for the chart. */
  readonly waitsMs?: number[];
  readonly notes?: string[];
}

/** One integration measured with and without Lockstep in front of the same work. */
export interface IntegrationRow {
  /** Express route, Nest decorator call, BullMQ job. */
  readonly integration: string;
  /** The shape: connections, concurrency, what the work is. */
  readonly shape: string;
  /** What is measured, with its unit (e.g. requests/s, p50 ms, calls/s). */
  readonly metric: string;
  readonly without: number;
  readonly with: number;
  /** `with / without`. */
  readonly ratio: number;
  /** Higher is better (rates) or lower is better (latencies). */
  readonly better: 'higher' | 'lower';
}
