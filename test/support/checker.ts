// Checks a history: promised windows never overlap (locks) or never exceed the limit (semaphores),
// and a window that follows another always carries a larger fence.
import type { HistoryEvent } from './history.js';

/** One promised window: [start, end) on the host monotonic clock. */
export interface Window {
  readonly id: string;
  readonly name: string;
  readonly worker: string;
  readonly fence: number | null;
  readonly weight: number;
  readonly start: number;
  readonly end: number;
}

/** A violation the checker found. */
export interface Violation {
  readonly kind: 'overlap' | 'over-limit' | 'fence-order' | 'fence-duplicate';
  readonly name: string;
  readonly detail: string;
}

/** Result of {@link checkHistory}. */
export interface CheckResult {
  readonly windows: number;
  readonly names: number;
  readonly violations: readonly Violation[];
  /** Highest weighted concurrency seen per name. */
  readonly maxConcurrent: ReadonlyMap<string, number>;
}

/** Builds each grant's promised window: from grant to min(release invoked, validity end). */
export function windowsOf(events: readonly HistoryEvent[]): Window[] {
  const grants = new Map<string, Extract<HistoryEvent, { e: 'grant' }>>();
  const ends = new Map<string, number>();
  const validity = new Map<string, number>();
  for (const event of events) {
    if (event.e === 'grant') {
      grants.set(event.id, event);
      validity.set(event.id, event.v);
    }
  }
  for (const event of events) {
    if (event.e === 'release' || event.e === 'lost') {
      const previous = ends.get(event.id);
      ends.set(event.id, previous === undefined ? event.t : Math.min(previous, event.t));
    } else if (event.e === 'extend') {
      validity.set(event.id, Math.max(validity.get(event.id) ?? 0, event.v));
    }
  }
  const windows: Window[] = [];
  for (const [id, grant] of grants) {
    const end = Math.min(ends.get(id) ?? Number.POSITIVE_INFINITY, validity.get(id) ?? grant.v);
    if (end <= grant.t) continue;
    windows.push({
      id,
      name: grant.name,
      worker: grant.w,
      fence: grant.fence,
      weight: grant.weight,
      start: grant.t,
      end,
    });
  }
  return windows;
}

/**
 * Sweeps the windows of every name. `limitOf(name)` is 1 for a lock. Fences are checked where the
 * mode has them: no two grants share one, and a window that starts after another ended has a larger
 * fence.
 */
export function checkHistory(events: readonly HistoryEvent[], limitOf: (name: string) => number): CheckResult {
  const byName = new Map<string, Window[]>();
  for (const w of windowsOf(events)) {
    const list = byName.get(w.name) ?? [];
    list.push(w);
    byName.set(w.name, list);
  }
  const violations: Violation[] = [];
  const maxConcurrent = new Map<string, number>();
  let total = 0;
  for (const [name, windows] of byName) {
    total += windows.length;
    const limit = limitOf(name);
    // Sweep: at equal times an end comes before a start (touching windows do not overlap).
    const points: [number, number, Window][] = [];
    for (const w of windows) {
      points.push([w.start, 1, w], [w.end, 0, w]);
    }
    points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let load = 0;
    let max = 0;
    const open = new Set<Window>();
    for (const [time, isStart, w] of points) {
      if (isStart) {
        load += w.weight;
        open.add(w);
        if (load > limit && violations.length < 50) {
          const others = [...open].filter((o) => o !== w).map((o) => `${o.worker}#${o.fence}`);
          violations.push({
            kind: limit === 1 ? 'overlap' : 'over-limit',
            name,
            detail: `at ${time.toFixed(3)} ${w.worker}#${w.fence} (w${w.weight}) joined ${others.join(', ')}: load ${load} > ${limit}`,
          });
        }
      } else {
        load -= w.weight;
        open.delete(w);
      }
      max = Math.max(max, load);
    }
    maxConcurrent.set(name, max);

    const fenced = windows.filter((w) => w.fence !== null);
    const seen = new Set<number>();
    for (const w of fenced) {
      if (seen.has(w.fence as number) && violations.length < 50) {
        violations.push({ kind: 'fence-duplicate', name, detail: `fence ${w.fence} granted twice` });
      }
      seen.add(w.fence as number);
    }
    const byStart = [...fenced].sort((a, b) => a.start - b.start);
    const byEnd = [...fenced].sort((a, b) => a.end - b.end);
    let j = 0;
    let maxEndedFence = Number.NEGATIVE_INFINITY;
    for (const w of byStart) {
      while (j < byEnd.length && (byEnd[j] as Window).end <= w.start) {
        maxEndedFence = Math.max(maxEndedFence, (byEnd[j] as Window).fence as number);
        j++;
      }
      if ((w.fence as number) <= maxEndedFence && violations.length < 50) {
        violations.push({
          kind: 'fence-order',
          name,
          detail: `${w.worker}#${w.fence} started at ${w.start.toFixed(3)} after a window with fence ${maxEndedFence} ended`,
        });
      }
    }
  }
  return { windows: total, names: byName.size, violations, maxConcurrent };
}
