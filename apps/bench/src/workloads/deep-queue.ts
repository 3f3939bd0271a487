// Deep queue (Lockstep only): N waiters parked on one semaphore of limit 1; every grantee releases
// at once and queues again at the tail, so the depth stays N. Grant rate and commands per grant.
import { setMaxListeners } from 'node:events';
import { TTL_MS } from '../config.js';
import { type BenchContext, commandstats, flushAll, serverDelta } from '../context.js';
import { closeClients, openClients } from '../infra/clients.js';
import { nowUs } from '../infra/clock.js';
import { diffCommands, scriptUsec, snapshotCommands, totalCommands } from '../infra/command-counter.js';
import { median } from '../infra/stats.js';
import { type CoreBuild, coreBuilds } from '../libraries/baseline.js';
import type { CoreModule } from '../libraries/lockstep.js';
import type { Metrics, RowResult } from '../results.js';
import { crossCheck } from './contention-metrics.js';

/** Lockstep's default waiterTtlMs: waiters refresh their place about every third of it. */
const DEFAULT_WAITER_TTL_MS = 10_000;

async function depthRun(
  ctx: BenchContext,
  core: CoreModule,
  depth: number,
): Promise<{ rounds: Metrics[]; fillMs: number }> {
  const { AcquireTimeoutError, Lockstep } = core;
  const servers = ctx.single;
  await flushAll(servers);
  const clients = await openClients(servers.urls);
  const lockstep = new Lockstep({ redis: clients[0] as NonNullable<(typeof clients)[0]> });
  const sem = lockstep.semaphore(`bench:deep:${depth}`, { limit: 1, ttlMs: TTL_MS, maxWaiters: depth + 100 });
  const controller = new AbortController();
  // One signal serves thousands of waits on purpose.
  setMaxListeners(0, controller.signal);
  let grants = 0;
  let timeouts = 0;
  let errors = 0;
  const caller = async () => {
    while (!controller.signal.aborted) {
      try {
        const permit = await sem.acquire({ waitMs: 120_000, signal: controller.signal });
        grants++;
        await permit.release();
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof AcquireTimeoutError) timeouts++;
        else errors++;
      }
    }
  };
  try {
    const fillStarted = performance.now();
    const callers: Promise<void>[] = [];
    for (let i = 0; i <= depth; i++) callers.push(caller());
    // Parked: the queue holds `depth` waiters, less the one between its release and its re-queue
    // (with a prompt hand-off, the holder changes faster than a full queue can be observed).
    for (let i = 0; i < 1_200; i++) {
      const state = await sem.inspect();
      if (state.waiting >= depth - 1) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const fillMs = performance.now() - fillStarted;
    await new Promise((resolve) => setTimeout(resolve, ctx.profile.warmupMs));
    const rounds: Metrics[] = [];
    for (let r = 0; r < ctx.profile.rounds; r++) {
      const g0 = grants;
      const t0 = errors + timeouts;
      const client0 = snapshotCommands();
      const server0 = await commandstats(servers);
      const start = nowUs();
      await new Promise((resolve) => setTimeout(resolve, ctx.profile.deepQueueMs));
      const end = nowUs();
      const clientCommands = diffCommands(client0, snapshotCommands());
      const serverCalls = serverDelta(server0, await commandstats(servers));
      const n = grants - g0;
      const waiting = (await sem.inspect()).waiting;
      rounds.push({
        opsPerSec: n / ((end - start) / 1e6),
        cmdsPerOp: n ? totalCommands(clientCommands) / n : Number.NaN,
        serverCallsPerOp: n ? totalCommands(serverCalls) / n : Number.NaN,
        scriptUsPerOp: n ? scriptUsec(serverCalls) / n : Number.NaN,
        crossCheck: crossCheck(clientCommands, serverCalls),
        depth: waiting,
        heartbeatsPerSec: depth / (DEFAULT_WAITER_TTL_MS / 3 / 1_000),
        timeouts: errors + timeouts - t0,
        errors: 0,
        grants: n,
        seconds: (end - start) / 1e6,
        clientCommands: totalCommands(clientCommands),
        serverCalls: totalCommands(serverCalls),
        scriptUs: scriptUsec(serverCalls),
      });
    }
    controller.abort();
    await Promise.all(callers);
    return { rounds, fillMs };
  } finally {
    controller.abort();
    await lockstep.close();
    await closeClients(clients);
  }
}

export async function deepQueue(ctx: BenchContext): Promise<RowResult[]> {
  const out: RowResult[] = [];
  const all = coreBuilds(ctx.libs);
  for (const [index, depth] of ctx.profile.depths.entries()) {
    // Alternate which build goes first at each depth, so neither always runs on a warmer machine.
    const order = index % 2 === 0 ? all : [...all].reverse();
    for (const subject of order) out.push(await depthRow(ctx, subject, depth));
  }
  return out;
}

async function depthRow(ctx: BenchContext, subject: CoreBuild, depth: number): Promise<RowResult> {
  const { rounds, fillMs } = await depthRun(ctx, subject.core, depth);
  // Heartbeats come in waves (every waiter about every 3.3 s), so the windows together span one
  // heartbeat period and the figures are totals over all of them, not a median of windows.
  const sum = (name: string) => rounds.reduce((t, m) => t + (m[name] ?? 0), 0);
  const grants = sum('grants');
  const med: Metrics = {
    opsPerSec: grants / sum('seconds'),
    cmdsPerOp: grants ? sum('clientCommands') / grants : Number.NaN,
    serverCallsPerOp: grants ? sum('serverCalls') / grants : Number.NaN,
    scriptUsPerOp: grants ? sum('scriptUs') / grants : Number.NaN,
    crossCheck: median(rounds.map((m) => m.crossCheck ?? Number.NaN)),
    depth: median(rounds.map((m) => m.depth ?? Number.NaN)),
    heartbeatsPerSec: depth / (DEFAULT_WAITER_TTL_MS / 3 / 1_000),
    timeouts: sum('timeouts'),
    errors: 0,
    measuredSeconds: sum('seconds'),
    fillMs,
    waiters: depth,
  };
  ctx.log(
    `  deep-queue ${subject.rowId} ${depth}: ${Math.round(med.opsPerSec ?? 0)} grants/s, ${(med.cmdsPerOp ?? 0).toFixed(2)} cmds/grant, fill ${Math.round(fillMs)} ms`,
  );
  return {
    workload: 'deep-queue',
    rowId: subject.rowId,
    library: subject.library,
    variant: 'default',
    setting: `semaphore limit 1, ${depth} waiters parked, maxWaiters ${depth + 100}, waiterTtlMs 10000 (default)`,
    kind: subject.kind,
    median: med,
    rounds,
  };
}
