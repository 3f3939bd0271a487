// Runs every workload in order and collects the results.
import {
  MUTEX_CALLERS,
  MUTEX_HOLD_MS,
  PARALLEL_CALLERS,
  PROCESSES,
  QUORUM_CALLERS,
  SEM_CALLERS,
  SEM_HOLD_MS,
  SEM_LIMIT,
} from './config.js';
import type { BenchContext } from './context.js';
import type { LibraryRow } from './libraries/library.js';
import { mutexRows, quorumRows, semaphoreRows, uncontendedRows } from './libraries/registry.js';
import type { IntegrationRow, RowResult } from './results.js';
import { interleave } from './rounds.js';
import { bullmqIntegration, bullmqWorkload } from './workloads/bullmq.js';
import { type CallgrindRow, callgrind } from './workloads/callgrind.js';
import { type CeilingResult, ceiling } from './workloads/ceiling.js';
import { contendedRound } from './workloads/contended.js';
import { deepQueue } from './workloads/deep-queue.js';
import { diagnostics } from './workloads/diagnostics.js';
import { expressIntegration, expressWorkload } from './workloads/express.js';
import { memory } from './workloads/memory.js';
import { relayRound } from './workloads/relay.js';
import { uncontendedRound } from './workloads/uncontended.js';

export const WORKLOADS = [
  'ceiling',
  'uncontended',
  'parallel',
  'mutex',
  'relay',
  'semaphore',
  'deep-queue',
  'memory',
  'quorum',
  'diagnostics',
  'express',
  'nest',
  'bullmq',
  'callgrind',
] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Workloads a plain `pnpm bench` runs: all but callgrind (minutes under valgrind; `--callgrind` adds it). */
export const DEFAULT_WORKLOADS: readonly WorkloadName[] = WORKLOADS.filter((w) => w !== 'callgrind');

export interface SuiteResults {
  readonly ceiling: CeilingResult[];
  readonly rows: RowResult[];
  /** Integration overheads (Express route, Nest decorator, BullMQ job), with and without Lockstep. */
  readonly integrations: IntegrationRow[];
  /** Instructions per pair under callgrind (`--callgrind`). */
  readonly callgrind: CallgrindRow[];
}

export async function runSuite(
  ctx: BenchContext,
  only: ReadonlySet<WorkloadName>,
  benchCpu: string | undefined,
): Promise<SuiteResults> {
  const rows: RowResult[] = [];
  const integrations: IntegrationRow[] = [];
  let callgrindRows: CallgrindRow[] = [];
  let ceilingResults: CeilingResult[] = [];
  const section = async (name: WorkloadName, run: () => Promise<void>) => {
    if (!only.has(name)) return;
    const started = performance.now();
    ctx.log(`${name}…`);
    await run();
    ctx.log(`${name} done in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
  };
  const single = ctx.single;

  await section('ceiling', async () => {
    ceilingResults = await ceiling(ctx, benchCpu);
  });
  await section('uncontended', async () => {
    const shape = { name: 'uncontended', callers: 1, servers: single };
    rows.push(
      ...(await interleave(
        ctx,
        'uncontended',
        uncontendedRows(),
        (row, r) => uncontendedRound(ctx, shape, row, r),
        ctx.profile.uncontendedRounds,
      )),
    );
  });
  await section('parallel', async () => {
    const shape = { name: 'parallel', callers: PARALLEL_CALLERS, servers: single };
    rows.push(
      ...(await interleave(
        ctx,
        'parallel',
        uncontendedRows(),
        (row, r) => uncontendedRound(ctx, shape, row, r),
        ctx.profile.uncontendedRounds,
      )),
    );
  });
  await section('mutex', async () => {
    for (const processes of [0, PROCESSES]) {
      const name = processes === 0 ? 'mutex-in-process' : 'mutex-cross-process';
      const shape = {
        name,
        shape: 'mutex' as const,
        callers: MUTEX_CALLERS,
        holdMs: MUTEX_HOLD_MS,
        limit: 1,
        processes,
        servers: single,
      };
      rows.push(...(await interleave(ctx, name, mutexRows(), (row, r) => contendedRound(ctx, shape, row, r))));
    }
  });
  await section('relay', async () => {
    rows.push(...(await interleave(ctx, 'relay', mutexRows(), (row, r) => relayRound(ctx, row, r))));
  });
  await section('semaphore', async () => {
    for (const processes of [0, PROCESSES]) {
      const name = processes === 0 ? 'semaphore-in-process' : 'semaphore-cross-process';
      const shape = {
        name,
        shape: 'semaphore' as const,
        callers: SEM_CALLERS,
        holdMs: SEM_HOLD_MS,
        limit: SEM_LIMIT,
        processes,
        servers: single,
      };
      rows.push(...(await interleave(ctx, name, semaphoreRows(), (row, r) => contendedRound(ctx, shape, row, r))));
    }
  });
  await section('deep-queue', async () => {
    rows.push(...(await deepQueue(ctx)));
  });
  await section('memory', async () => {
    // Retry settings change no key: the tuned variants would repeat their default rows.
    const defaults = (rows: LibraryRow[]) => rows.filter((r) => r.variant !== 'tuned' || r.kind === 'raw');
    rows.push(...(await memory(ctx, defaults(uncontendedRows()), defaults(semaphoreRows()))));
  });
  await section('quorum', async () => {
    const quorum = ctx.quorum;
    const defaults = quorumRows().filter((r) => r.variant === 'default');
    const seq = { name: 'quorum-uncontended', callers: 1, servers: quorum };
    rows.push(
      ...(await interleave(ctx, 'quorum-uncontended', defaults, (row, r) => uncontendedRound(ctx, seq, row, r))),
    );
    const shape = {
      name: 'quorum-contended',
      shape: 'mutex' as const,
      callers: QUORUM_CALLERS,
      holdMs: MUTEX_HOLD_MS,
      limit: 1,
      processes: 0,
      servers: quorum,
    };
    rows.push(
      ...(await interleave(ctx, 'quorum-contended', quorumRows(), (row, r) => contendedRound(ctx, shape, row, r))),
    );
  });
  await section('diagnostics', async () => {
    rows.push(...(await diagnostics(ctx)));
  });
  await section('express', async () => {
    // Writes its own report (results/express.md) too: HTTP rows do not fit the lock tables.
    integrations.push(...expressIntegration(await expressWorkload(ctx)));
  });
  await section('nest', async () => {
    // Loaded on demand: Nest and its decorators are set up at import.
    const { nestWorkload } = await import('./workloads/nest.js');
    integrations.push(...(await nestWorkload(ctx)));
  });
  await section('bullmq', async () => {
    const bull = await bullmqWorkload(ctx);
    rows.push(...bull);
    integrations.push(...bullmqIntegration(bull));
  });
  await section('callgrind', async () => {
    callgrindRows = await callgrind(
      ctx,
      uncontendedRows().filter((r) => r.variant === 'default' || r.kind === 'raw'),
    );
  });
  return { ceiling: ceilingResults, rows, integrations, callgrind: callgrindRows };
}
