// Contended workloads (mutex, semaphore, quorum): callers in the main process or spread over the
// worker processes, each round on a fresh name after a warm-up.
import { type BenchContext, commandstats, flushAll, type Servers, serverDelta } from '../context.js';
import { nowUs, sleepUntil } from '../infra/clock.js';
import { addCommands, type CommandCounts } from '../infra/command-counter.js';
import type { LibraryRow } from '../libraries/library.js';
import type { RoundOutcome } from '../rounds.js';
import type { ToMain } from '../worker-protocol.js';
import { contentionMetrics } from './contention-metrics.js';
import { type ContentionShare, type ContentionSpec, runContention } from './contention-run.js';

export interface ContendedShape {
  readonly name: string;
  readonly shape: 'mutex' | 'semaphore';
  readonly callers: number;
  readonly holdMs: number;
  readonly limit: number;
  /** 0: all callers in the main process; otherwise spread over this many worker processes. */
  readonly processes: number;
  readonly servers: Servers;
}

/** Setup slack before the warm-up starts, so every process has connected, µs. */
const SETUP_US = 120_000;

/** One measured round of a contended workload for one row. */
export async function contendedRound(
  ctx: BenchContext,
  shape: ContendedShape,
  row: LibraryRow,
  round: number,
): Promise<RoundOutcome> {
  await flushAll(shape.servers);
  const warmupUs = nowUs() + SETUP_US;
  const startUs = warmupUs + ctx.profile.warmupMs * 1_000;
  const endUs = startUs + ctx.profile.contendedMs * 1_000;
  const base: Omit<ContentionSpec, 'callers' | 'firstCaller'> = {
    rowId: row.id,
    urls: shape.servers.urls,
    shape: shape.shape,
    key: `bench:${shape.name}:${row.id}:${round}`,
    limit: shape.limit,
    holdMs: shape.holdMs,
    warmupUs,
    startUs,
    endUs,
  };
  const server = (async () => {
    await sleepUntil(startUs);
    const before = await commandstats(shape.servers);
    await sleepUntil(endUs);
    return serverDelta(before, await commandstats(shape.servers));
  })();
  let shares: ContentionShare[];
  if (shape.processes === 0) {
    shares = [await runContention({ ...base, callers: shape.callers, firstCaller: 0 })];
  } else {
    const workers = ctx.workers.slice(0, shape.processes);
    const per = Math.ceil(shape.callers / workers.length);
    shares = await Promise.all(
      workers.map(async (worker, i) => {
        const firstCaller = i * per;
        const callers = Math.max(0, Math.min(per, shape.callers - firstCaller));
        const spec: ContentionSpec = { ...base, callers, firstCaller };
        const done = await worker.request<Extract<ToMain, { type: 'contention-done' }>>((id) => ({
          type: 'contention',
          id,
          spec,
        }));
        return done.share;
      }),
    );
  }
  const serverCalls = await server;
  const clientCommands = shares.reduce<CommandCounts>((sum, s) => addCommands(sum, s.commands), {});
  const { metrics, waitsMs } = contentionMetrics(
    {
      acquisitions: shares.flatMap((s) => s.acquisitions),
      perCaller: shares.flatMap((s) => s.perCaller),
      pendingAgesUs: shares.flatMap((s) => s.pendingAgesUs),
      timeouts: shares.reduce((n, s) => n + s.timeouts, 0),
      errors: shares.reduce((n, s) => n + s.errors, 0),
      clientCommands,
      serverCalls,
      windowUs: endUs - startUs,
      windowEndUs: endUs,
    },
    shape.shape === 'mutex',
  );
  const firstError = shares.find((s) => s.firstError)?.firstError;
  return {
    metrics,
    waitsMs,
    perCaller: shares.flatMap((s) => s.perCaller),
    ...(firstError ? { note: `error: ${firstError}` } : {}),
  };
}
