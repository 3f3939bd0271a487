// One BullMQ export worker (an OS process): JOBS.concurrency slots, gated per tenant by
// limitProcessor, so a noisy tenant's jobs park instead of filling every slot.
// Usage: node --import tsx worker/export-worker.ts '{"name":"worker-1","redisUrl":"redis://…"}'.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { limitProcessor } from '@lockstep/bullmq';
import { Lockstep } from '@lockstep/core';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { emit, hostNow } from '../evidence.js';
import { configArg, onStop } from '../lifeline.js';
import { bullConnection, EXPORTS, JOBS, jobKey, jobLimit, PREFIX } from '../settings.js';

interface ExportJob {
  readonly tenant: string;
  readonly plan: string;
}

const config = configArg<{ name: string; redisUrl: string }>();
const redis = new Redis(config.redisUrl);
const lockstep = new Lockstep({ redis, prefix: PREFIX });

const processor = limitProcessor(
  async (job: Job<ExportJob>, _token, signal) => {
    const t0 = hostNow();
    await sleep(250 + randomInt(250), undefined, { signal }); // write the export file
    const { tenant } = job.data;
    emit({
      k: 'job',
      worker: config.name,
      jobId: job.id ?? '',
      tenant,
      limit: jobLimit(tenant),
      t0,
      t1: hostNow(),
      starts: job.attemptsStarted,
    });
  },
  {
    lockstep,
    key: (job) => jobKey(job.data.tenant),
    limit: (key) => jobLimit(key.slice(jobKey('').length)),
    priorities: EXPORTS.plans,
    priority: (job) => job.data.plan,
    prefix: PREFIX,
    fallbackDelayMs: JOBS.fallbackDelayMs,
  },
);
const worker = new Worker(JOBS.queue, processor, {
  connection: bullConnection(config.redisUrl),
  prefix: JOBS.prefix,
  concurrency: JOBS.concurrency,
});
worker.on('error', (err) => process.stderr.write(`${err.message}\n`));
await worker.waitUntilReady();

onStop(async () => {
  await worker.close();
  await processor.gate.close();
  await lockstep.close();
  await redis.quit();
});
process.stdout.write('READY\n');
