// Uncontended workloads in the main process: one caller on a new name each time (sequential), or
// many callers, each on its own name, over one connection (parallel).
import { type BenchContext, commandstats, flushAll, type Servers, serverDelta } from '../context.js';
import { closeClients, openClients } from '../infra/clients.js';
import { nowUs } from '../infra/clock.js';
import { diffCommands, scriptUsec, snapshotCommands, totalCommands } from '../infra/command-counter.js';
import { spread } from '../infra/stats.js';
import type { Acquirer, LibraryRow } from '../libraries/library.js';
import type { RoundOutcome } from '../rounds.js';
import { crossCheck } from './contention-metrics.js';

export interface UncontendedShape {
  readonly name: string;
  /** 1: sequential on a new name per acquisition; more: that many callers, each on its own name. */
  readonly callers: number;
  readonly servers: Servers;
}

export async function uncontendedRound(
  ctx: BenchContext,
  shape: UncontendedShape,
  row: LibraryRow,
  round: number,
): Promise<RoundOutcome> {
  await flushAll(shape.servers);
  const clients = await openClients(shape.servers.urls);
  const library = row.create(clients);
  try {
    const prefix = `bench:${shape.name}:${row.id}:${round}`;
    const sequential = shape.callers === 1;
    let measuring = false;
    let stop = false;
    let pairs = 0;
    let errors = 0;
    let firstError: string | undefined;
    const acquireMs: number[] = [];
    const caller = async (index: number) => {
      // Sequential: a new name (and lock object) per pair. Parallel: one name and object per caller.
      let fixed: Acquirer | undefined = sequential ? undefined : library.mutex(`${prefix}:${index}`);
      for (let i = 0; !stop; i++) {
        const acquirer = fixed ?? library.mutex(`${prefix}:${i}`);
        try {
          const t0 = nowUs();
          const held = await acquirer.acquire();
          const t1 = nowUs();
          await held.release();
          if (measuring) {
            pairs++;
            if (sequential) acquireMs.push((t1 - t0) / 1_000);
          }
        } catch (error) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
          if (!sequential) fixed = library.mutex(`${prefix}:${index}:${i}`);
        }
      }
    };
    const callers = Array.from({ length: shape.callers }, (_, i) => caller(i));
    await new Promise((resolve) => setTimeout(resolve, ctx.profile.uncontendedWarmupMs));
    const serverBefore = await commandstats(shape.servers);
    const clientBefore = snapshotCommands();
    const t0 = nowUs();
    const cpu0 = process.cpuUsage();
    measuring = true;
    await new Promise((resolve) => setTimeout(resolve, ctx.profile.uncontendedMs));
    measuring = false;
    const t1 = nowUs();
    const cpu = process.cpuUsage(cpu0);
    const clientCommands = diffCommands(clientBefore, snapshotCommands());
    const serverCalls = serverDelta(serverBefore, await commandstats(shape.servers));
    stop = true;
    await Promise.all(callers);
    const latency = spread(acquireMs);
    return {
      metrics: {
        opsPerSec: pairs / ((t1 - t0) / 1e6),
        acquireP50Ms: sequential ? latency.p50 : Number.NaN,
        acquireP99Ms: sequential ? latency.p99 : Number.NaN,
        cmdsPerOp: pairs ? totalCommands(clientCommands) / pairs : Number.NaN,
        serverCallsPerOp: pairs ? totalCommands(serverCalls) / pairs : Number.NaN,
        scriptUsPerOp: pairs ? scriptUsec(serverCalls) / pairs : Number.NaN,
        // This process's CPU per pair (user + system): robust to a busy machine, unlike pairs/s.
        clientCpuUsPerOp: pairs ? (cpu.user + cpu.system) / pairs : Number.NaN,
        crossCheck: crossCheck(clientCommands, serverCalls),
        errors,
        timeouts: 0,
      },
      ...(firstError ? { note: `error: ${firstError}` } : {}),
    };
  } finally {
    await library.close();
    await closeClients(clients);
  }
}
