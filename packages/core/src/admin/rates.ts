// Reads the grant statistics the GrantRecorders of every process wrote (stats/stats-layout.ts).
import type { RedisClient } from '../redis/scripts.js';
import {
  CLASSES_FIELD,
  LIMIT_FIELD,
  STATS_TTL_MS,
  statsKey,
  WAIT_BUCKETS_MS,
  waitField,
} from '../stats/stats-layout.js';
import type { RatePoint, RateSeries } from './admin-types.js';

const MINUTES = Math.ceil(STATS_TTL_MS / 60_000);

/** The statistics hashes of a tag, newest minute first. */
export async function readMinutes(client: RedisClient, tag: string, nowMs: number): Promise<Record<string, string>[]> {
  const minute = Math.floor(nowMs / 60_000);
  return await Promise.all(Array.from({ length: MINUTES }, (_, i) => client.hgetall(statsKey(tag, minute - i))));
}

/** The newest semaphore limit any process reported, or undefined. */
export function reportedLimit(minutes: readonly Record<string, string>[]): number | undefined {
  for (const hash of minutes) {
    const value = hash[LIMIT_FIELD];
    if (value !== undefined) return Number(value);
  }
  return undefined;
}

/** The newest priority class names any process reported: value -> name. */
export function reportedClasses(minutes: readonly Record<string, string>[]): Map<number, string> {
  for (const hash of minutes) {
    const value = hash[CLASSES_FIELD];
    if (value === undefined) continue;
    try {
      const pairs = JSON.parse(value) as [number, string][];
      return new Map(pairs.filter(([v, n]) => Number.isInteger(v) && typeof n === 'string'));
    } catch {
      return new Map();
    }
  }
  return new Map();
}

function percentile(counts: readonly number[], total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    seen += counts[b] as number;
    if (seen >= rank) return WAIT_BUCKETS_MS[b] ?? Number.POSITIVE_INFINITY;
  }
  return null;
}

/** Seconds at the end left out: recorders flush a second's counts up to two seconds later. */
const SETTLE_S = 2;

/** One point per second of the `seconds` seconds before `nowMs`, less the last {@link SETTLE_S}. */
export function toSeries(minutes: readonly Record<string, string>[], nowMs: number, seconds: number): RateSeries {
  const merged: Record<string, string> = Object.assign({}, ...minutes);
  const last = Math.floor(nowMs / 1000) - SETTLE_S;
  const points: RatePoint[] = [];
  let recorded = false;
  for (let second = last - seconds + 1; second <= last; second++) {
    const counts = Array.from({ length: WAIT_BUCKETS_MS.length + 1 }, (_, b) =>
      Number(merged[waitField(second, b)] ?? 0),
    );
    const total = counts.reduce((a, b) => a + b, 0);
    const grants = total;
    if (grants > 0) recorded = true;
    const p = (q: number) => {
      const v = percentile(counts, total, q);
      return v === Number.POSITIVE_INFINITY ? (WAIT_BUCKETS_MS.at(-1) as number) : v;
    };
    points.push({ t: second * 1000, grants, waitP50Ms: p(0.5), waitP90Ms: p(0.9), waitP99Ms: p(0.99) });
  }
  return { recorded: recorded || minutes.some((m) => Object.keys(m).length > 0), points };
}
