// BullMQ counts every start, parks included (attemptsStarted), and a Worker with maxStartedAttempts
// fails a job started more often without running it. With the same maxStartedAttempts, the gate
// stops parking a job on its last start and lets it wait for the permit in its slot.
import { createRequire } from 'node:module';
import { Lockstep } from '@lockstep/core';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { type Job, Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { type JobGateOptions, limitProcessor } from '../src/index.js';
import { type FreshQueue, freshQueue, until } from './support/harness.js';

type KeyJob = Job<{ key: string; holdMs: number }>;

describe('maxStartedAttempts', () => {
  let q: FreshQueue | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await q?.cleanup();
  });

  function start(
    options: (q: FreshQueue) => Partial<JobGateOptions<KeyJob>>,
    { maxStartedAttempts = 2, core = Lockstep }: { maxStartedAttempts?: number; core?: typeof Lockstep } = {},
  ) {
    const redis = standaloneClient();
    q = freshQueue(standalonePort(), redis);
    const gateOptions = options(q);
    const lockstep = new core({ redis, prefix: q.prefix });
    const ran: string[] = [];
    const failed: string[] = [];
    const processor = limitProcessor<KeyJob, void>(
      async (job) => {
        ran.push(job.name);
        await new Promise((resolve) => setTimeout(resolve, job.data.holdMs));
      },
      { lockstep, key: (job) => job.data.key, limit: 1, prefix: q.prefix, fallbackDelayMs: 100, ...gateOptions },
    );
    const worker = new Worker(q.name, processor, {
      connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
      prefix: q.bullPrefix,
      concurrency: 5,
      maxStartedAttempts,
    });
    worker.on('failed', (job, error) => failed.push(`${job?.name}: ${error.message}`));
    closers.push(async () => {
      await worker.close();
      await processor.gate.close();
      await lockstep.close();
    });
    return { queue: q.queue, ran, failed };
  }

  it('a job parked on its last allowed start waits in its slot instead of being failed unrun', async () => {
    const { queue, ran, failed } = start(() => ({ maxStartedAttempts: 2 }));
    await queue.add('holder', { key: 'k', holdMs: 700 });
    await until(() => ran.includes('holder'), 10_000, 'the holder to run');
    // Start 1 parks (fallback 100 ms); start 2 is the last the Worker allows: it must not park.
    const waiter = await queue.add('waiter', { key: 'k', holdMs: 1 });
    await until(async () => (await waiter.getState()) === 'completed' || failed.length > 0, 20_000, 'the waiter');
    expect(failed).toEqual([]);
    expect(ran).toEqual(['holder', 'waiter']);
    expect((await queue.getJob(waiter.id as string))?.attemptsStarted).toBe(2);
  });

  it('parks after the in-slot wait runs out (12 x fallbackDelayMs), also with a CommonJS-built Lockstep', async () => {
    // The CommonJS build of core has its own error classes: a timeout must still read as a timeout.
    const cjs = createRequire(import.meta.url)('@lockstep/core') as typeof import('@lockstep/core');
    const { queue, ran, failed } = start(() => ({ maxStartedAttempts: 1, fallbackDelayMs: 10 }), {
      maxStartedAttempts: 1,
      core: cjs.Lockstep as unknown as typeof Lockstep,
    });
    await queue.add('holder', { key: 'k', holdMs: 1_500 });
    await until(() => ran.includes('holder'), 10_000, 'the holder to run');
    const waiter = await queue.add('waiter', { key: 'k', holdMs: 1 });
    await until(() => failed.length > 0, 20_000, 'the waiter to fail');
    // It waited ~120 ms in its slot, parked, and BullMQ failed its second start, as configured.
    expect(failed).toEqual(['waiter: job started more than allowable limit']);
    expect(ran).toEqual(['holder']);
    expect((await queue.getJob(waiter.id as string))?.attemptsStarted).toBe(2);
  });

  it('promotes through the `queue` given, and refuses a job of another queue before any I/O', async () => {
    const { queue, ran, failed } = start((fresh) => {
      const other = new Queue(`${fresh.name}-other`, {
        connection: { port: standalonePort(), host: '127.0.0.1' },
        prefix: fresh.bullPrefix,
      });
      closers.push(() => other.close());
      return { queue: other };
    });
    const job = await queue.add('j', { key: 'k', holdMs: 1 });
    await until(async () => failed.length > 0, 10_000, 'the job to fail');
    expect(failed[0]).toMatch(/`queue` to be the queue of the gated jobs/);
    expect(ran).toEqual([]);
    expect(await job.getState()).toBe('failed');
  });
});
