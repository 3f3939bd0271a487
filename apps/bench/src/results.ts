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
  readonly kind: 'lockstep' | 'raw' | 'peer';
  readonly median: Metrics;
  readonly rounds: Metrics[];
  /** Per-caller acquisitions of the median round (contended workloads), for the chart. */
  readonly perCaller?: number[];
  /** Wait times of all rounds in ms (contended workloads), for the chart. */
  readonly waitsMs?: number[];
  readonly notes?: string[];
}
