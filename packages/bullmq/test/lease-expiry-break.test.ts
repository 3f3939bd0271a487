// A job whose permit ran out while its work blocked the event loop (CPU-bound work past `ttlMs`):
// no extension could be sent and the loss timer fires only after the work returned, so the job
// must still fail with ERR_LEASE_LOST (it ran partly unprotected), as when a timer reports the loss.
import { Lockstep } from '@lockstep/core';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { type Job, Worker } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import { limitProcessor } from '../src/index.js';
import { type FreshQueue, freshQueue, until } from './support/harness.js';

type KeyJob = Job<{ key: string; blockMs: number }>;

let q: FreshQueue | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await q?.cleanup();
});

function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // CPU-bound work: no timer runs meanwhile
  }
}

it('a job that blocked the event loop past ttlMs fails with ERR_LEASE_LOST; one inside its window completes', async () => {
  const redis = standaloneClient();
  q = freshQueue(standalonePort(), redis);
  const fresh = q;
  const lockstep = new Lockstep({ redis, prefix: fresh.prefix });
  const errors: unknown[] = [];
  const processor = limitProcessor<KeyJob, string>(
    async (job) => {
      blockFor(job.data.blockMs);
      return 'done';
    },
    {
      lockstep,
      key: (job) => job.data.key,
      limit: 1,
      ttlMs: 200,
      prefix: fresh.prefix,
      onError: (e) => errors.push(e),
    },
  );
  const worker = new Worker(fresh.name, processor, {
    connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
    prefix: fresh.bullPrefix,
    concurrency: 1,
  });
  closers.push(async () => {
    await worker.close();
    await processor.gate.close();
    await lockstep.close();
  });
  const long = await fresh.queue.add('long', { key: 'k', blockMs: 600 });
  const short = await fresh.queue.add('short', { key: 'k', blockMs: 20 });
  await until(
    async () => (await long.getState()) === 'failed' || (await long.getState()) === 'completed',
    15_000,
    'long',
  );
  await until(async () => (await short.getState()) === 'completed', 15_000, 'short');
  const settled = await fresh.queue.getJob(long.id as string);
  expect(await settled?.getState()).toBe('failed');
  expect(settled?.failedReason).toMatch(/was lost/);
  expect(errors).toEqual([]);
});
