// Checks a history: promised windows never overlap (locks) or never exceed the limit (semaphores),
// and a window that follows another always carries a larger fence. With `CheckOptions` it also
// checks that every lost lease was reported and that no grant or extension promised too much.
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
  /** When the acquisition was invoked (the grant happened between this and `start`). */
  readonly invoked: number;
}

/** A violation the checker found. */
export interface Violation {
  readonly kind:
    | 'overlap'
    | 'over-limit'
    | 'fence-order'
    | 'fence-duplicate'
    /** A lease's window ran out before its release, and neither `signal` nor `onLost` said so. */
    | 'lost-unreported'
    /** An extension succeeded although it was invoked after the lease's validity had ended. */
    | 'extend-after-expiry'
    /** acquire() returned a lease whose validity had already ended. */
    | 'expired-grant'
    /** A grant promised more than a TTL of validity from the moment it was granted. */
    | 'validity-beyond-ttl';
  readonly name: string;
  readonly detail: string;
  /** The ids of the grants involved (for an overlap: the joining one, then the open ones). */
  readonly ids?: readonly string[];
}

/** Result of {@link checkHistory}. */
export interface CheckResult {
  readonly windows: number;
  readonly names: number;
  readonly violations: readonly Violation[];
  /** Highest weighted concurrency seen per name. */
  readonly maxConcurrent: ReadonlyMap<string, number>;
  /**
   * For each reported loss of a lease whose window ran out (with `lossReporting`): ms from the
   * later of the window's end and the process's last resume to the report.
   */
  readonly lossDetectionMs: readonly number[];
}

/** Extra rules of {@link checkHistory}; all off by default, so older callers see the same result. */
export interface CheckOptions {
  /**
   * Every lease whose window ran out before its release must have a `lost` event, unless its process
   * was killed before it could notice (within `lossGraceMs` of the window's end, or while paused).
   */
  readonly lossReporting?: boolean;
  /** @defaultValue 2_000 */
  readonly lossGraceMs?: number;
  /** Grants with `v <= t`, grants with `v > t + ttl`, and extensions invoked after the window ended. */
  readonly grantRules?: boolean;
}

/** Upper bound of violations listed per run, so a broken variant cannot flood the report. */
const MAX_VIOLATIONS = 50;

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
      invoked: grant.i ?? grant.t,
    });
  }
  return windows;
}

/**
 * Sweeps the windows of every name. `limitOf(name)` is 1 for a lock. Fences are checked where the
 * mode has them: no two grants share one, and a grant that follows a window has a larger fence. For
 * a lock "follows" means its window starts after the other ended (grants are serial). A semaphore
 * may grant several waiters in one script, and they learn of it in any order, so there a grant
 * follows a window only if it was even requested after that window ended.
 */
export function checkHistory(
  events: readonly HistoryEvent[],
  limitOf: (name: string) => number,
  options: CheckOptions = {},
): CheckResult {
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
        if (load > limit && violations.length < MAX_VIOLATIONS) {
          const open_ = [...open].filter((o) => o !== w);
          const others = open_.map((o) => `${o.id}#${o.fence}`);
          violations.push({
            kind: limit === 1 ? 'overlap' : 'over-limit',
            name,
            detail: `"${name}" at ${time.toFixed(3)} ${w.id}#${w.fence} (w${w.weight}) joined ${others.join(', ')}: load ${load} > ${limit}`,
            ids: [w.id, ...open_.map((o) => o.id)],
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
      if (seen.has(w.fence as number) && violations.length < MAX_VIOLATIONS) {
        violations.push({ kind: 'fence-duplicate', name, detail: `fence ${w.fence} granted twice` });
      }
      seen.add(w.fence as number);
    }
    const after = (w: Window) => (limit === 1 ? w.start : w.invoked);
    const byStart = [...fenced].sort((a, b) => after(a) - after(b));
    const byEnd = [...fenced].sort((a, b) => a.end - b.end);
    let j = 0;
    let maxEndedFence = Number.NEGATIVE_INFINITY;
    for (const w of byStart) {
      while (j < byEnd.length && (byEnd[j] as Window).end <= after(w)) {
        maxEndedFence = Math.max(maxEndedFence, (byEnd[j] as Window).fence as number);
        j++;
      }
      if ((w.fence as number) <= maxEndedFence && violations.length < MAX_VIOLATIONS) {
        violations.push({
          kind: 'fence-order',
          name,
          detail: `${w.worker}#${w.fence} (at ${after(w).toFixed(3)}) follows a window with fence ${maxEndedFence}`,
        });
      }
    }
  }
  const lossDetectionMs: number[] = [];
  if (options.lossReporting || options.grantRules) {
    for (const v of checkLeases(events, options, lossDetectionMs)) {
      if (violations.length < MAX_VIOLATIONS) violations.push(v);
    }
  }
  return { windows: total, names: byName.size, violations, maxConcurrent, lossDetectionMs };
}

type Grant = Extract<HistoryEvent, { e: 'grant' }>;
type Extend = Extract<HistoryEvent, { e: 'extend' }>;
type ProcessEvent = Extract<HistoryEvent, { e: 'process' }>;

/** The per-lease rules: loss reporting, and grants or extensions that promised too much. */
function checkLeases(events: readonly HistoryEvent[], options: CheckOptions, latencies: number[]): Violation[] {
  const grants = new Map<string, Grant>();
  const extendsOf = new Map<string, Extend[]>();
  const releasedAt = new Map<string, number>();
  const lostAt = new Map<string, number>();
  const processes = new Map<string, ProcessEvent[]>();
  for (const ev of events) {
    if (ev.e === 'grant') grants.set(ev.id, ev);
    else if (ev.e === 'extend') extendsOf.set(ev.id, [...(extendsOf.get(ev.id) ?? []), ev]);
    else if (ev.e === 'release') releasedAt.set(ev.id, Math.min(releasedAt.get(ev.id) ?? ev.t, ev.t));
    else if (ev.e === 'lost') lostAt.set(ev.id, Math.min(lostAt.get(ev.id) ?? ev.t, ev.t));
    else if (ev.e === 'process') processes.set(ev.w, [...(processes.get(ev.w) ?? []), ev]);
  }
  for (const list of processes.values()) list.sort((a, b) => a.t - b.t);
  const grace = options.lossGraceMs ?? 2_000;
  const found: Violation[] = [];
  for (const [id, g] of grants) {
    let validUntil = g.v;
    for (const x of (extendsOf.get(id) ?? []).sort((a, b) => a.t - b.t)) {
      if (options.grantRules && x.i > validUntil + 0.5) {
        found.push({
          kind: 'extend-after-expiry',
          name: g.name,
          detail: `${g.w} ${id}: extend invoked at ${x.i.toFixed(3)}, ${(x.i - validUntil).toFixed(1)} ms after its window ended`,
        });
      }
      validUntil = Math.max(validUntil, x.v);
    }
    if (options.grantRules && g.v <= g.t) {
      found.push({
        kind: 'expired-grant',
        name: g.name,
        detail: `${g.w} ${id}: granted at ${g.t.toFixed(3)}, valid until ${g.v.toFixed(3)}`,
      });
    }
    // A window is at most a TTL long from when the client heard of the grant (the attempt that won
    // was sent earlier still, but that moment is not recorded).
    if (options.grantRules && g.ttl !== undefined && g.v > g.t + g.ttl + 1) {
      found.push({
        kind: 'validity-beyond-ttl',
        name: g.name,
        detail: `${g.w} ${id}: valid ${(g.v - g.t - g.ttl).toFixed(1)} ms beyond grant + ttl ${g.ttl}`,
      });
    }
    if (!options.lossReporting) continue;
    const released = releasedAt.get(id);
    if (released !== undefined && released < validUntil + 1) continue;
    const history = processes.get(g.w.slice(0, Math.max(0, g.w.lastIndexOf('.')))) ?? [];
    const lost = lostAt.get(id);
    if (lost !== undefined) {
      const resumed = history.filter((p) => p.what === 'resumed' && p.t <= lost).at(-1)?.t ?? 0;
      latencies.push(Math.max(0, lost - Math.max(validUntil, resumed)));
      continue;
    }
    const killed = history.find((p) => p.what === 'killed' && p.t >= g.t);
    if (killed) {
      const before = history.filter((p) => p.t < killed.t && p.what !== 'killed').at(-1);
      if (killed.t < validUntil + grace || before?.what === 'paused') continue;
    }
    found.push({
      kind: 'lost-unreported',
      name: g.name,
      detail: `${g.w} ${id}: window ended at ${validUntil.toFixed(3)}, ${released === undefined ? 'never released' : `released at ${released.toFixed(3)}`}, no signal/onLost`,
    });
  }
  return found;
}
