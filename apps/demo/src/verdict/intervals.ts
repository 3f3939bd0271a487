// Interval arithmetic over recorded evidence: most at once, overlaps, percentiles.

/** A closed-open interval on the host clock, ms. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

/** The largest number of intervals that contain one instant (an interval ending at t and one starting at t do not overlap). */
export function maxConcurrent(intervals: readonly Interval[]): number {
  const points: [number, number][] = [];
  for (const { start, end } of intervals) {
    if (end <= start) continue;
    points.push([start, 1], [end, -1]);
  }
  // Ends before starts at the same instant.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of points) {
    now += delta;
    most = Math.max(most, now);
  }
  return most;
}

/** How many intervals start before an earlier-starting one has ended. */
export function overlaps(intervals: readonly Interval[]): number {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  let found = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const interval of sorted) {
    if (interval.start < end) found++;
    end = Math.max(end, interval.end);
  }
  return found;
}

/** The `p`-th percentile (0-100, nearest rank) of `values`, or undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Groups `items` by `key`. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
