// Turns the shares of a contended round (from one or several processes) into its metrics.
import { addCommands, type CommandCounts, scriptUsec, totalCommands } from '../infra/command-counter.js';
import { jain, mean, spread } from '../infra/stats.js';
import type { Metrics } from '../results.js';
import type { Acquisition } from './contention-run.js';

export interface MergedRound {
  readonly acquisitions: readonly Acquisition[];
  readonly perCaller: readonly number[];
  readonly pendingAgesUs: readonly number[];
  readonly timeouts: number;
  readonly errors: number;
  readonly clientCommands: CommandCounts;
  readonly serverCalls: CommandCounts;
  readonly windowUs: number;
  /** End of the measured window (monotonic µs); holds are clipped to it for `meanHolders`. */
  readonly windowEndUs?: number;
}

/**
 * Mean number of holders over the window: the sum of [granted, released) intervals, each clipped
 * to the window's end, over the window. Equals acquisitions/s × mean hold (the rate as a share of
 * the hold-bound ceiling, times the limit), without the bias of a last hold stretched past the end.
 */
export function meanHoldersOver(acquisitions: readonly Acquisition[], windowUs: number, windowEndUs: number): number {
  let busy = 0;
  for (const a of acquisitions) busy += Math.max(0, Math.min(a.releasedUs, windowEndUs) - a.grantedUs);
  return windowUs > 0 ? busy / windowUs : Number.NaN;
}

/** Largest number of [granted, released) intervals that overlap. */
export function maxConcurrent(acquisitions: readonly Acquisition[]): number {
  const events: [number, number][] = [];
  for (const a of acquisitions) {
    events.push([a.grantedUs, 1], [a.releasedUs, -1]);
  }
  // At equal times, releases first: a release is always seen before the grant it makes possible.
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of events) {
    now += delta;
    if (now > most) most = now;
  }
  return most;
}

/**
 * Cross-check of the client-side count against INFO commandstats: the relative difference, over the
 * command names the clients sent, between what the server counted and what we counted. About 0 when
 * the count is exact (script internals use names the clients never send in these workloads).
 */
export function crossCheck(client: CommandCounts, server: CommandCounts): number {
  let sent = 0;
  let off = 0;
  for (const [name, count] of Object.entries(client)) {
    sent += count;
    off += Math.abs((server[name] ?? 0) - count);
  }
  return sent === 0 ? Number.NaN : off / sent;
}

/** Metrics of a contended round; `mutex` adds the release→next-grant gap and the self-handoff share. */
export function contentionMetrics(round: MergedRound, mutex: boolean): { metrics: Metrics; waitsMs: number[] } {
  const acquisitions = [...round.acquisitions].sort((a, b) => a.grantedUs - b.grantedUs);
  const n = acquisitions.length;
  const waitsMs = acquisitions.map((a) => (a.grantedUs - a.askedUs) / 1_000);
  const waits = spread(waitsMs);
  const pendingMaxMs = round.pendingAgesUs.reduce((m, v) => Math.max(m, v / 1_000), 0);
  const holds = acquisitions.map((a) => (a.releasedUs - a.grantedUs) / 1_000);
  const gaps: number[] = [];
  let self = 0;
  if (mutex) {
    for (let i = 1; i < n; i++) {
      const prev = acquisitions[i - 1] as Acquisition;
      const cur = acquisitions[i] as Acquisition;
      gaps.push((cur.grantedUs - prev.releasedUs) / 1_000);
      if (cur.caller === prev.caller) self++;
    }
  }
  const gap = spread(gaps);
  const client = totalCommands(round.clientCommands);
  const server = totalCommands(round.serverCalls);
  const metrics: Metrics = {
    opsPerSec: n / (round.windowUs / 1e6),
    waitP50Ms: waits.p50,
    waitP99Ms: waits.p99,
    waitMaxMs: Math.max(waits.max || 0, pendingMaxMs),
    waitMaxCompletedMs: waits.max,
    gapP50Ms: mutex ? gap.p50 : Number.NaN,
    gapP99Ms: mutex ? gap.p99 : Number.NaN,
    selfHandoffShare: mutex && n > 1 ? self / (n - 1) : Number.NaN,
    cmdsPerOp: n ? client / n : Number.NaN,
    serverCallsPerOp: n ? server / n : Number.NaN,
    scriptUsPerOp: n ? scriptUsec(round.serverCalls) / n : Number.NaN,
    crossCheck: crossCheck(round.clientCommands, round.serverCalls),
    maxConcurrent: maxConcurrent(acquisitions),
    timeouts: round.timeouts,
    errors: round.errors,
    jain: jain(round.perCaller),
    starved: round.perCaller.filter((c) => c === 0).length,
    callers: round.perCaller.length,
    holdMeanMs: mean(holds),
    meanHolders:
      round.windowEndUs === undefined ? Number.NaN : meanHoldersOver(acquisitions, round.windowUs, round.windowEndUs),
    acquisitions: n,
  };
  return { metrics, waitsMs };
}

export { addCommands };
