// The relay between two processes: each side asks for the lock only after the other side acquired
// it, so every grant is a hand-off between processes; measures the release→acquire gap.
import { MUTEX_HOLD_MS } from '../config.js';
import { type BenchContext, commandstats, flushAll, serverDelta } from '../context.js';
import { nowUs, sleepUntil } from '../infra/clock.js';
import { addCommands, type CommandCounts, scriptUsec, totalCommands } from '../infra/command-counter.js';
import { spread } from '../infra/stats.js';
import type { LibraryRow } from '../libraries/library.js';
import type { RoundOutcome } from '../rounds.js';
import type { ToMain } from '../worker-protocol.js';
import { crossCheck, maxConcurrent } from './contention-metrics.js';
import type { Acquisition } from './contention-run.js';

const SETUP_US = 120_000;

export async function relayRound(ctx: BenchContext, row: LibraryRow, round: number): Promise<RoundOutcome> {
  const servers = ctx.single;
  await flushAll(servers);
  const sides = ctx.workers.slice(0, 2);
  if (sides.length < 2) throw new Error('the relay needs two worker processes');
  const warmupUs = nowUs() + SETUP_US;
  const startUs = warmupUs + ctx.profile.warmupMs * 1_000;
  const endUs = startUs + ctx.profile.relayMs * 1_000;
  const key = `bench:relay:${row.id}:${round}`;
  await Promise.all(
    sides.map((worker, side) =>
      worker.request((id) => ({
        type: 'relay-open',
        id,
        spec: { rowId: row.id, url: servers.urls[0] as string, key, side, holdMs: MUTEX_HOLD_MS, startUs, endUs },
      })),
    ),
  );
  sides.forEach((worker, side) => {
    worker.onRelayAcquired = () => {
      if (nowUs() < endUs) sides[1 - side]?.post({ type: 'relay-go' });
    };
  });
  const server = (async () => {
    await sleepUntil(startUs);
    const before = await commandstats(servers);
    await sleepUntil(endUs);
    return serverDelta(before, await commandstats(servers));
  })();
  await sleepUntil(warmupUs);
  sides[0]?.post({ type: 'relay-go' });
  const serverCalls = await server;
  const shares = await Promise.all(
    sides.map((worker) =>
      worker.request<Extract<ToMain, { type: 'relay-done' }>>((id) => ({ type: 'relay-stop', id })),
    ),
  );
  for (const worker of sides) worker.onRelayAcquired = undefined;

  const acquisitions: Acquisition[] = shares
    .flatMap((s) => s.share.acquisitions)
    .sort((a, b) => a.grantedUs - b.grantedUs);
  const gaps: number[] = [];
  let late = 0;
  for (let i = 1; i < acquisitions.length; i++) {
    const prev = acquisitions[i - 1] as Acquisition;
    const cur = acquisitions[i] as Acquisition;
    if (cur.caller === prev.caller) continue;
    // Only a true hand-off counts: the next side was already waiting when this side released.
    if (cur.askedUs >= prev.releasedUs) {
      late++;
      continue;
    }
    gaps.push((cur.grantedUs - prev.releasedUs) / 1_000);
  }
  const gap = spread(gaps);
  const waits = spread(acquisitions.map((a) => (a.grantedUs - a.askedUs) / 1_000));
  const clientCommands = shares.reduce<CommandCounts>((sum, s) => addCommands(sum, s.share.commands), {});
  const n = acquisitions.length;
  const firstError = shares.find((s) => s.share.firstError)?.share.firstError;
  return {
    metrics: {
      opsPerSec: n / ((endUs - startUs) / 1e6),
      gapP50Ms: gap.p50,
      gapP99Ms: gap.p99,
      gapMaxMs: gap.max,
      handoffs: gaps.length,
      lateAsks: late,
      waitP50Ms: waits.p50,
      waitP99Ms: waits.p99,
      waitMaxMs: waits.max,
      cmdsPerOp: n ? totalCommands(clientCommands) / n : Number.NaN,
      serverCallsPerOp: n ? totalCommands(serverCalls) / n : Number.NaN,
      scriptUsPerOp: n ? scriptUsec(serverCalls) / n : Number.NaN,
      crossCheck: crossCheck(clientCommands, serverCalls),
      maxConcurrent: maxConcurrent(acquisitions),
      timeouts: shares.reduce((t, s) => t + s.share.timeouts, 0),
      errors: shares.reduce((t, s) => t + s.share.errors, 0),
    },
    ...(firstError ? { note: `error: ${firstError}` } : {}),
  };
}
