// A worker process for the multi-process tests: N BullMQ workers running limitProcessor, recording
// when each job's work starts and ends (host monotonic clock) as JSON lines in its own file.
// Prints "ready" once its workers run; on SIGTERM closes everything and exits 0.
import { appendFileSync } from 'node:fs';
import { Lockstep } from '@lockstep/core';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { limitProcessor } from '../../src/index.js';

/** What a worker process is told to do. */
export interface GatedWorkerConfig {
  readonly port: number;
  readonly queue: string;
  readonly bullPrefix: string;
  readonly prefix: string;
  readonly label: string;
  readonly workers: number;
  readonly concurrency: number;
  readonly limits: Record<string, number>;
  readonly jobMs: number;
  readonly ttlMs: number;
  readonly handoffMs?: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  readonly history: string;
}

/** One line of a worker's history file. */
export type JobEvent =
  | { readonly e: 'start' | 'end'; readonly job: string; readonly key: string; readonly t: number; readonly w: string }
  | { readonly e: 'error' | 'failed'; readonly job?: string; readonly message: string; readonly w: string };

const hostNow = (): number => Number(process.hrtime.bigint()) / 1e6;

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] as string) as GatedWorkerConfig;
  const record = (event: JobEvent): void => appendFileSync(config.history, `${JSON.stringify(event)}\n`);
  const redis = new Redis(config.port, '127.0.0.1');
  const lockstep = new Lockstep({ redis, prefix: config.prefix });
  const processor = limitProcessor<import('bullmq').Job<{ key: string }>, string>(
    async (job) => {
      record({ e: 'start', job: job.id as string, key: job.data.key, t: hostNow(), w: config.label });
      await new Promise((resolve) => setTimeout(resolve, config.jobMs));
      record({ e: 'end', job: job.id as string, key: job.data.key, t: hostNow(), w: config.label });
      return 'ok';
    },
    {
      lockstep,
      key: (job) => job.data.key,
      limit: (key) => config.limits[key] ?? 1,
      ttlMs: config.ttlMs,
      ...(config.handoffMs === undefined ? {} : { handoffMs: config.handoffMs }),
      prefix: config.prefix,
      onError: (error) => record({ e: 'error', message: String(error), w: config.label }),
    },
  );
  const workers = Array.from(
    { length: config.workers },
    () =>
      new Worker(config.queue, processor, {
        connection: { port: config.port, host: '127.0.0.1', maxRetriesPerRequest: null },
        prefix: config.bullPrefix,
        concurrency: config.concurrency,
        ...(config.lockDurationMs ? { lockDuration: config.lockDurationMs } : {}),
        ...(config.stalledIntervalMs ? { stalledInterval: config.stalledIntervalMs } : {}),
      }),
  );
  for (const worker of workers) {
    worker.on('error', (error) => record({ e: 'error', message: String(error), w: config.label }));
    worker.on('failed', (job, error) =>
      record({ e: 'failed', job: job?.id as string, message: String(error), w: config.label }),
    );
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void (async () => {
      await Promise.all(workers.map((w) => w.close()));
      await processor.gate.close();
      await lockstep.close();
      redis.disconnect();
      process.exit(0);
    })();
  });
}

void main();
