// Test helpers: a fresh queue per test (cleaned up after), worker processes, history checks.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanKeys, uniquePrefix } from '@lockstep/test-utils';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { GatedWorkerConfig, JobEvent } from './gated-worker.js';

const WORKER = fileURLToPath(new URL('./gated-worker.ts', import.meta.url));

/** A queue no other test uses, and everything needed to remove its keys afterwards. */
export interface FreshQueue {
  readonly name: string;
  readonly bullPrefix: string;
  readonly prefix: string;
  readonly queue: Queue;
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** Creates a queue with a unique name, BullMQ prefix and Lockstep prefix. */
export function freshQueue(port: number, redis: Redis): FreshQueue {
  const prefix = uniquePrefix('bq');
  const bullPrefix = `b-${prefix}`;
  const name = `q-${prefix}`;
  const queue = new Queue(name, {
    connection: { port, host: '127.0.0.1', maxRetriesPerRequest: null },
    prefix: bullPrefix,
  });
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-bullmq-'));
  return {
    name,
    bullPrefix,
    prefix,
    queue,
    dir,
    cleanup: async () => {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      // BullMQ's keys have no TTL: remove whatever obliterate left (events stream, meta, markers).
      const keys = await scanKeys(redis, `${bullPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A worker process. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** SIGTERM (graceful close) and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit; resolves with the host time of the kill. */
  kill9(): Promise<number>;
  stderr(): string;
}

/** Starts a gated-worker process. */
export function startWorkerProcess(config: GatedWorkerConfig): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('ready\n')) resolve();
    });
    void exited.then(() => reject(new Error(`worker ${config.label} exited before ready: ${err}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    ready,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill9: async () => {
      const t = hostNow();
      child.kill('SIGKILL');
      await exited;
      return t;
    },
    stderr: () => err,
  };
}

/** Milliseconds on the host-wide monotonic clock (comparable across processes). */
export function hostNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Reads the history files of a test directory. */
export function readHistory(files: readonly string[]): JobEvent[] {
  return files.flatMap((file) =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as JobEvent)
      : [],
  );
}

/** An interval of work on a key. */
export interface WorkInterval {
  readonly job: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly w: string;
}

/**
 * Pairs start and end events into intervals; a start without an end (its process was killed) ends
 * at `openEnd(worker)`.
 */
export function intervalsOf(
  events: readonly JobEvent[],
  openEnd: (w: string) => number = () => Infinity,
): WorkInterval[] {
  const open = new Map<string, { job: string; key: string; t: number; w: string }>();
  const out: WorkInterval[] = [];
  for (const event of events) {
    if (event.e === 'start') open.set(`${event.w}|${event.job}`, event);
    if (event.e === 'end') {
      const start = open.get(`${event.w}|${event.job}`);
      if (!start) throw new Error(`end without start for job ${event.job}`);
      open.delete(`${event.w}|${event.job}`);
      out.push({ job: event.job, key: event.key, start: start.t, end: event.t, w: event.w });
    }
  }
  for (const start of open.values()) {
    out.push({ job: start.job, key: start.key, start: start.t, end: openEnd(start.w), w: start.w });
  }
  return out;
}

/** Highest number of intervals of one key overlapping at any instant, per key. */
export function maxConcurrency(intervals: readonly WorkInterval[]): Map<string, number> {
  const byKey = new Map<string, { t: number; d: number }[]>();
  for (const i of intervals) {
    const list = byKey.get(i.key) ?? [];
    list.push({ t: i.start, d: 1 }, { t: i.end, d: -1 });
    byKey.set(i.key, list);
  }
  const result = new Map<string, number>();
  for (const [key, points] of byKey) {
    // At equal times an end comes before a start: touching intervals do not overlap.
    points.sort((a, b) => a.t - b.t || a.d - b.d);
    let now = 0;
    let max = 0;
    for (const p of points) {
      now += p.d;
      max = Math.max(max, now);
    }
    result.set(key, max);
  }
  return result;
}

/** Polls until `fn` is true. */
export async function until(
  fn: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Percentile of a list (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
