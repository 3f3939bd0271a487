// An onError that throws (a logger that fails, or `(e) => { throw e }`) must not replace a job's
// outcome with its own error, nor become an unhandled rejection: a failed wake-up is a background
// error (it costs at most the fallback delay), whatever onError does with it.
import { Lockstep } from '@lockstep/core';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { type Job, Queue, Worker } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import { limitProcessor } from '../src/index.js';
import { type FreshQueue, freshQueue, until } from './support/harness.js';

type KeyJob = Job<{ key: string }>;

let q: FreshQueue | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await q?.cleanup();
});

it('a wake-up that fails while onError throws: the finishing job still completes, no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  closers.push(async () => {
    process.off('unhandledRejection', onUnhandled);
  });
  const redis = standaloneClient();
  q = freshQueue(standalonePort(), redis);
  const fresh = q;
  const lockstep = new Lockstep({ redis, prefix: fresh.prefix });
  // The handle woken jobs are promoted through; closed below, so the wake-up fails.
  const handle = new Queue(fresh.name, {
    connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
    prefix: fresh.bullPrefix,
  });
  const reported: string[] = [];
  let letGo: () => void = () => undefined;
  const holding = new Promise<void>((resolve) => {
    letGo = resolve;
  });
  const processor = limitProcessor<KeyJob, string>(
    async (job) => {
      if (job.name === 'holder') await holding;
      return job.name;
    },
    {
      lockstep,
      key: (job) => job.data.key,
      limit: 1,
      prefix: fresh.prefix,
      queue: handle,
      handoffMs: 0,
      fallbackDelayMs: 300,
      onError: (error) => {
        reported.push(String(error));
        throw new Error('the logger is down');
      },
    },
  );
  const worker = new Worker(fresh.name, processor, {
    connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
    prefix: fresh.bullPrefix,
    concurrency: 4,
  });
  const failed: string[] = [];
  worker.on('failed', (job, error) => failed.push(`${job?.name}: ${error.message}`));
  closers.push(async () => {
    await worker.close();
    await processor.gate.close();
    await lockstep.close();
  });
  const holder = await fresh.queue.add('holder', { key: 'k' });
  await until(async () => (await holder.getState()) === 'active', 10_000, 'the holder to run');
  const parked = await fresh.queue.add('parked', { key: 'k' });
  await until(async () => (await parked.getState()) === 'delayed', 10_000, 'the second job to park');
  await handle.close();
  letGo();
  await until(async () => (await holder.getState()) !== 'active', 10_000, 'the holder to finish');
  expect(await holder.getState()).toBe('completed');
  // The lost wake-up costs the fallback delay, no more.
  await until(async () => (await parked.getState()) === 'completed', 10_000, 'the parked job to run');
  expect(reported.length).toBeGreaterThan(0);
  expect(failed).toEqual([]);
  expect(unhandled).toEqual([]);
});
