// BullMQ per-key limits: 2,000 short jobs over 10 keys (limits 1 and 2, alternating), processed by
// 2 workers x concurrency 20 in this process. Rows: plain BullMQ with no limit (the ceiling),
// @lockstep/bullmq's limitProcessor, and the hand-written peer pattern (a Redis counter per key,
// parking with moveToDelayed on a fixed delay). Jobs/s as a ratio to the ceiling, wake latency on
// the limit-1 keys, and commands per job (client round trips and server-side calls).

import { limitProcessor } from '@lockstep/bullmq';
import { Lockstep } from '@lockstep/core';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type BenchContext, commandstats, flushAll, serverDelta } from '../context.js';
import { closeClients, openClients } from '../infra/clients.js';
import { diffCommands, snapshotCommands, totalCommands } from '../infra/command-counter.js';
import { median, quantile, sorted } from '../infra/stats.js';
import type { IntegrationRow, Metrics, RowResult } from '../results.js';

const JOBS = 2_000;
const KEYS = 10;
const JOB_MS = 2;
const WORKERS = 2;
const CONCURRENCY = 20;
/** The peer pattern's fixed park delay (blog posts use 1 s; this is tuned down for it). */
const PEER_DELAY_MS = 100;
const limitOf = (key: string): number => (Number(key.slice(1)) % 2 === 0 ? 1 : 2);

type Variant = 'plain' | 'lockstep' | 'peer';
type KeyJob = Job<{ key: string; holdMs?: number }>;

/** Relay: a holder of 20 ms on a limit-1 key and one job parked behind it, this many times. */
const RELAY_PAIRS = 30;
const RELAY_HOLD_MS = 20;

interface Interval {
  readonly id: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/** Work end -> next start on the limit-1 keys (each next start waited for that end). */
function wakeGaps(intervals: readonly Interval[]): number[] {
  const gaps: number[] = [];
  for (let k = 0; k < KEYS; k += 2) {
    const list = intervals.filter((i) => i.key === `k${k}`).sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) gaps.push((list[i] as Interval).start - (list[i - 1] as Interval).end);
  }
  return gaps;
}

function connectionOf(url: string): { host: string; port: number; maxRetriesPerRequest: null } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
}

async function runOnce(
  ctx: BenchContext,
  variant: Variant,
  jobs: number,
  round: number,
  mode: 'bulk' | 'relay' = 'bulk',
): Promise<Metrics> {
  const servers = ctx.single;
  await flushAll(servers);
  const clients = await openClients(servers.urls);
  const redis = clients[0] as Redis;
  const connection = connectionOf(servers.urls[0] as string);
  const name = `bench-${mode}-${variant}-${round}`;
  const queue = new Queue(name, { connection });
  const lockstep = new Lockstep({ redis });
  const intervals: Interval[] = [];
  let done = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const onStart = new Map<string, () => void>();
  const work = async (job: KeyJob): Promise<void> => {
    const start = performance.now();
    onStart.get(job.id as string)?.();
    await new Promise((r) => setTimeout(r, job.data.holdMs ?? JOB_MS));
    intervals.push({ id: job.id as string, key: job.data.key, start, end: performance.now() });
  };
  const peer = async (job: KeyJob, token?: string): Promise<void> => {
    const counter = `peer:${job.data.key}`;
    const running = await redis.incr(counter);
    if (running > limitOf(job.data.key)) {
      await redis.decr(counter);
      await job.moveToDelayed(Date.now() + PEER_DELAY_MS, token);
      throw new DelayedError();
    }
    try {
      await work(job);
    } finally {
      await redis.decr(counter);
    }
  };
  const gated = limitProcessor<KeyJob, void>(async (job) => work(job), {
    lockstep,
    key: (job) => job.data.key,
    limit: limitOf,
  });
  let calls = 0;
  const chosen = variant === 'plain' ? (job: KeyJob) => work(job) : variant === 'peer' ? peer : gated;
  // Three parameters, so BullMQ passes its signal (limitProcessor's own wrapper declares them too).
  const processor = (job: KeyJob, token?: string, signal?: AbortSignal) => {
    calls++;
    return chosen(job, token, signal);
  };
  const workers = Array.from(
    { length: WORKERS },
    () => new Worker(name, processor, { connection, concurrency: CONCURRENCY }),
  );
  let failures = 0;
  // A failed job ends too (a lease lost under heavy load fails its job): count it, never wait for it.
  const settle = () => {
    const ended = done + failures;
    if (ended === jobs || (mode === 'relay' && ended === RELAY_PAIRS * 2)) finished();
  };
  for (const w of workers) {
    w.on('completed', () => {
      done++;
      settle();
    });
    w.on('failed', () => {
      failures++;
      settle();
    });
    w.on('error', () => undefined);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  if (mode === 'relay') {
    const gaps: number[] = [];
    for (let i = 0; i < RELAY_PAIRS; i++) {
      const holder = await queue.add('holder', { key: 'k0', holdMs: RELAY_HOLD_MS });
      await new Promise<void>((resolve) => onStart.set(holder.id as string, resolve));
      const next = await queue.add('next', { key: 'k0', holdMs: 1 });
      await new Promise<void>((resolve) => onStart.set(next.id as string, resolve));
      const end = intervals.find((x) => x.id === holder.id)?.end ?? Number.NaN;
      gaps.push(performance.now() - end);
    }
    await allDone;
    await Promise.all(workers.map((w) => w.close()));
    await gated.gate.close();
    await lockstep.close();
    await queue.close();
    await closeClients(clients);
    const list = sorted(gaps);
    return { relayP50Ms: quantile(list, 0.5), relayP99Ms: quantile(list, 0.99) };
  }
  const data = Array.from({ length: jobs }, (_, i) => ({ name: 'j', data: { key: `k${i % KEYS}` } }));
  const serverBefore = await commandstats(servers);
  const clientBefore = snapshotCommands();
  const started = performance.now();
  await queue.addBulk(data);
  await allDone;
  const seconds = (performance.now() - started) / 1_000;
  const client = totalCommands(diffCommands(clientBefore, snapshotCommands()));
  const server = totalCommands(serverDelta(serverBefore, await commandstats(servers)));
  await Promise.all(workers.map((w) => w.close()));
  await gated.gate.close();
  await lockstep.close();
  await queue.close();
  await closeClients(clients);
  const gaps = sorted(wakeGaps(intervals));
  return {
    opsPerSec: jobs / seconds,
    wakeP50Ms: variant === 'plain' ? Number.NaN : quantile(gaps, 0.5),
    wakeP99Ms: variant === 'plain' ? Number.NaN : quantile(gaps, 0.99),
    cmdsPerJob: client / jobs,
    serverCallsPerJob: server / jobs,
    startsPerJob: calls / jobs,
    failures,
  };
}

const SETTINGS: Record<Variant, { library: string; kind: RowResult['kind']; setting: string }> = {
  plain: { library: 'BullMQ 6 (no limit)', kind: 'raw', setting: 'the ceiling: no per-key limit at all' },
  lockstep: { library: '@lockstep/bullmq', kind: 'lockstep', setting: 'limitProcessor, defaults' },
  peer: {
    library: 'peer pattern',
    kind: 'peer',
    setting: `INCR/DECR counter per key; over the limit: moveToDelayed(now + ${PEER_DELAY_MS} ms, token) + DelayedError`,
  },
};

/** Runs the three rows, interleaved, for the profile's rounds; ratios are to plain BullMQ's median. */
export async function bullmqWorkload(ctx: BenchContext): Promise<RowResult[]> {
  const variants: Variant[] = ['plain', 'lockstep', 'peer'];
  for (const v of variants) await runOnce(ctx, v, 200, -1); // warm-up
  const rounds = new Map<Variant, Metrics[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < ctx.profile.rounds; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length] as Variant);
    for (const v of order) {
      const bulk = await runOnce(ctx, v, JOBS, r);
      const relay = v === 'plain' ? {} : await runOnce(ctx, v, 0, r, 'relay');
      const m = { ...bulk, ...relay };
      rounds.get(v)?.push(m);
      ctx.log(
        `bullmq ${v} round ${r}: ${m.opsPerSec?.toFixed(0)} jobs/s, wake p50 ${m.wakeP50Ms?.toFixed(2)} ms p99 ${m.wakeP99Ms?.toFixed(2)} ms, ${m.cmdsPerJob?.toFixed(1)} cmds/job, ${m.serverCallsPerJob?.toFixed(1)} server calls/job, ${m.startsPerJob?.toFixed(2)} starts/job, relay p50 ${m.relayP50Ms?.toFixed(2)} ms p99 ${m.relayP99Ms?.toFixed(2)} ms`,
      );
    }
  }
  const medianOf = (list: Metrics[]): Metrics => {
    const out: Metrics = {};
    for (const key of Object.keys(list[0] ?? {})) out[key] = median(list.map((m) => m[key] ?? Number.NaN));
    return out;
  };
  const ceiling = medianOf(rounds.get('plain') ?? []).opsPerSec ?? Number.NaN;
  return variants.map((v) => {
    const m = medianOf(rounds.get(v) ?? []);
    const s = SETTINGS[v];
    return {
      workload: 'bullmq',
      rowId: `bullmq-${v}`,
      library: s.library,
      variant: 'default',
      setting: s.setting,
      kind: s.kind,
      median: { ...m, ratio: (m.opsPerSec ?? Number.NaN) / ceiling },
      rounds: rounds.get(v) ?? [],
    };
  });
}

/** The report's table for this workload. */
export function bullmqTable(rows: readonly RowResult[]): string[] {
  const f = (n: number | undefined, d = 1, unit = '') =>
    n === undefined || Number.isNaN(n) ? '—' : `${n.toFixed(d)}${unit}`;
  return [
    `## 9. BullMQ per-key limits: ${JOBS} jobs of ${JOB_MS} ms over ${KEYS} keys (limits 1 and 2), ${WORKERS} workers x concurrency ${CONCURRENCY}`,
    '',
    '| Row | jobs/s | × ceiling | wake p50 | wake p99 | relay wake p50 | relay wake p99 | client cmds / job | server calls / job | starts / job | failed |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const m = r.median;
      return `| ${r.library} | ${f(m.opsPerSec, 0)} | ${f(m.ratio, 2)} | ${f(m.wakeP50Ms, 2, ' ms')} | ${f(m.wakeP99Ms, 2, ' ms')} | ${f(m.relayP50Ms, 2, ' ms')} | ${f(m.relayP99Ms, 2, ' ms')} | ${f(m.cmdsPerJob)} | ${f(m.serverCallsPerJob)} | ${f(m.startsPerJob, 2)} | ${f(m.failures, 0)} |`;
    }),
    '',
    "Wake latency: on the limit-1 keys, from one job's work ending to the next job of that key starting. " +
      `Relay wake: one ${RELAY_HOLD_MS} ms holder on a limit-1 key and one job parked behind it (${RELAY_PAIRS} times), ` +
      'from the holder ending to the parked job starting: the case where polling cannot get lucky. ' +
      'Commands per job include everything BullMQ itself sends (fetching, locks, completion); ' +
      'starts per job counts processor calls (1 + the times a job was parked).',
    '',
  ];
}

/** The BullMQ job with and without @lockstep/bullmq, as integration-overhead ratios. */
export function bullmqIntegration(rows: readonly RowResult[]): IntegrationRow[] {
  const plain = rows.find((r) => r.rowId === 'bullmq-plain')?.median;
  const gated = rows.find((r) => r.rowId === 'bullmq-lockstep')?.median;
  if (!plain || !gated) return [];
  const shape = `${JOBS} jobs of ${JOB_MS} ms over ${KEYS} keys (limits 1 and 2), ${WORKERS} workers × concurrency ${CONCURRENCY}`;
  const row = (metric: string, key: string, better: IntegrationRow['better']): IntegrationRow => {
    const without = plain[key] ?? Number.NaN;
    const value = gated[key] ?? Number.NaN;
    return {
      integration: 'BullMQ job (limitProcessor)',
      shape,
      metric,
      without,
      with: value,
      ratio: value / without,
      better,
    };
  };
  return [
    row('jobs/s', 'opsPerSec', 'higher'),
    row('client commands / job', 'cmdsPerJob', 'lower'),
    row('server calls / job', 'serverCallsPerJob', 'lower'),
  ];
}
