// What users do to parked jobs: remove them, or close the worker that parked them. The next parked
// job must still be woken (not left to its fallback delay), and nothing may run twice or over the limit.
import { Lockstep } from '@lockstep/core';
import { scanKeys } from '@lockstep/test-utils';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { type Job, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { limitProcessor } from '../src/index.js';
import { type FreshQueue, freshQueue, until } from './support/harness.js';

type KeyJob = Job<{ key: string }>;

describe('parked jobs', () => {
  let q: FreshQueue | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await q?.cleanup();
  });

  function setup() {
    const redis = standaloneClient();
    q = freshQueue(standalonePort(), redis);
    const fresh = q;
    const lockstep = new Lockstep({ redis, prefix: fresh.prefix });
    const errors: unknown[] = [];
    const ran: string[] = [];
    let running = 0;
    let peak = 0;
    const holds = new Map<string, () => boolean>();
    // A 30 s fallback: anything that runs within the test's few seconds was woken, not timed out.
    const processor = limitProcessor<KeyJob, void>(
      async (job) => {
        running++;
        peak = Math.max(peak, running);
        ran.push(job.name);
        const hold = holds.get(job.name);
        if (hold) await until(hold, 20_000, `${job.name} to be let go`);
        running--;
      },
      {
        lockstep,
        key: (job) => job.data.key,
        limit: 1,
        prefix: fresh.prefix,
        fallbackDelayMs: 30_000,
        onError: (e) => errors.push(e),
      },
    );
    const startWorker = () => {
      const worker = new Worker(fresh.name, processor, {
        connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
        prefix: fresh.bullPrefix,
        concurrency: 5,
      });
      worker.on('failed', (job, error) => errors.push(`${job?.name}: ${error.message}`));
      closers.push(() => worker.close());
      return worker;
    };
    closers.push(async () => {
      await processor.gate.close();
      await lockstep.close();
    });
    return { queue: fresh.queue, ran, errors, holds, startWorker, peak: () => peak };
  }

  it('a parked job removed by the user is skipped: the release wakes the next one', async () => {
    const { queue, ran, errors, holds, startWorker, peak } = setup();
    let hold = true;
    holds.set('holder', () => !hold);
    startWorker();
    await queue.add('holder', { key: 'k' });
    await until(() => ran.includes('holder'), 10_000, 'the holder to run');
    const first = await queue.add('first', { key: 'k' });
    await until(async () => (await queue.getDelayedCount()) === 1, 10_000, 'first to park');
    await queue.add('second', { key: 'k' });
    await until(async () => (await queue.getDelayedCount()) === 2, 10_000, 'second to park');
    await first.remove();
    hold = false;
    await until(() => ran.includes('second'), 10_000, 'second to be woken');
    expect(ran).toEqual(['holder', 'second']);
    expect(peak()).toBe(1);
    expect(errors).toEqual([]);
    // Its remembered place is dropped with its reservation: under steady parking (which refreshes
    // the hash's TTL) each removed job's entry would otherwise stay for good.
    const redis = standaloneClient();
    const places = await scanKeys(redis, `{${q?.prefix}:bq:*}:o`);
    for (const key of places) expect(await redis.hexists(key, first.id as string), key).toBe(0);
  });

  it('jobs parked by a worker that closed are woken by a release in a worker started later', async () => {
    const { queue, ran, errors, holds, startWorker, peak } = setup();
    const worker = startWorker();
    let holdA = true;
    holds.set('holder-a', () => !holdA);
    await queue.add('holder-a', { key: 'k' });
    await until(() => ran.includes('holder-a'), 10_000, 'holder-a to run');
    await queue.addBulk([
      { name: 'p1', data: { key: 'k' } },
      { name: 'p2', data: { key: 'k' } },
    ]);
    await until(async () => (await queue.getDelayedCount()) === 2, 10_000, 'two parked');
    const closing = worker.close();
    holdA = false;
    await closing;
    // holder-a's release woke p1 while its worker closed: nobody fetched it. A new worker runs it,
    // and p1's own release wakes p2.
    startWorker();
    await until(() => ran.length === 3, 15_000, 'p1 and p2 to run in the new worker');
    expect(ran).toEqual(['holder-a', 'p1', 'p2']);
    expect(peak()).toBe(1);
    expect(errors).toEqual([]);
  });
});
