import { Lockstep, type LockstepError } from '@lockstep/core';
import { scanKeys } from '@lockstep/test-utils';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { type Job, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { type JobGateOptions, limitProcessor } from '../src/index.js';
import { type FreshQueue, freshQueue, hostNow, percentile, until } from './support/harness.js';

type KeyJob = Job<{ key: string; n?: number; prio?: string }>;

describe('limitProcessor in one process', () => {
  let q: FreshQueue | undefined;
  const closers: (() => Promise<void>)[] = [];
  const errors: unknown[] = [];
  afterEach(async () => {
    try {
      for (const close of closers.reverse()) await close();
    } finally {
      closers.length = 0;
      await q?.cleanup();
    }
    const seen = errors.splice(0);
    expect(seen).toEqual([]);
  });

  function setup(
    work: (job: KeyJob, signal: AbortSignal) => Promise<unknown>,
    options: Omit<JobGateOptions<KeyJob>, 'lockstep' | 'key'> & { concurrency?: number; workers?: number },
  ) {
    const redis = standaloneClient();
    q = freshQueue(standalonePort(), redis);
    const lockstep = new Lockstep({ redis, prefix: q.prefix });
    const { concurrency = 10, workers = 1, ...gateOptions } = options;
    const processor = limitProcessor<KeyJob, unknown>(async (job, _token, signal) => work(job, signal), {
      lockstep,
      key: (job) => job.data.key,
      onError: (error) => errors.push(error),
      prefix: q.prefix,
      ...gateOptions,
    });
    const list = Array.from(
      { length: workers },
      () =>
        new Worker(q?.name as string, processor, {
          connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
          prefix: q?.bullPrefix as string,
          concurrency,
        }),
    );
    for (const w of list) w.on('failed', (job, error) => errors.push(`${job?.name}: ${error.message}`));
    closers.push(async () => {
      await Promise.all(list.map((w) => w.close()));
      await processor.gate.close();
      await lockstep.close();
    });
    return { redis, queue: q.queue, processor, lockstep, workers: list, prefix: q.prefix };
  }

  it('no head-of-line blocking: other keys start at once behind 200 slow jobs of a limit-1 key', async () => {
    const started = new Map<string, number>();
    let slowDone = 0;
    const { queue } = setup(
      async (job) => {
        started.set(job.id as string, hostNow());
        await new Promise((r) => setTimeout(r, job.data.key === 'slow' ? 50 : 1));
        if (job.data.key === 'slow') slowDone++;
      },
      { limit: (key) => (key === 'slow' ? 1 : 5), concurrency: 20 },
    );
    await queue.addBulk(Array.from({ length: 200 }, () => ({ name: 'slow', data: { key: 'slow' } })));
    const others = await queue.addBulk(
      Array.from({ length: 50 }, (_, i) => ({ name: 'fast', data: { key: `other-${i % 5}` } })),
    );
    await until(() => others.every((j) => started.has(j.id as string)), 30_000, 'other keys to start');
    // Served behind the slow key they would need 200 x 50 ms = 10 s; they started while it ran.
    expect(slowDone).toBeLessThan(100);
  });

  it('wakes the next parked job of a key on release (p50/p99 reported)', async () => {
    const starts: number[] = [];
    const ends: number[] = [];
    const { queue } = setup(
      async () => {
        starts.push(hostNow());
        await new Promise((r) => setTimeout(r, 2));
        ends.push(hostNow());
      },
      { limit: 1, concurrency: 10, workers: 2, fallbackDelayMs: 10_000 },
    );
    await queue.addBulk(Array.from({ length: 100 }, () => ({ name: 'j', data: { key: 'one' } })));
    await until(() => ends.length === 100, 60_000, '100 jobs');
    const gaps = starts.slice(1).map((s, i) => s - (ends[i] as number));
    const p50 = percentile(gaps, 50);
    const p99 = percentile(gaps, 99);
    console.log(
      [...gaps]
        .sort((a, b) => b - a)
        .slice(0, 8)
        .map((g) => g.toFixed(1))
        .join(' '),
    );
    console.log(
      `wake latency (work end -> next start, limit 1, 100 jobs): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
    );
    // Never the fallback delay (10 s): a wake-up, not a timer. Wall-clock targets are for the bench.
    expect(Math.max(...gaps)).toBeLessThan(5_000);
  });

  it('serves a key by priority, then park order', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const order: string[] = [];
    const { queue, redis, prefix } = setup(
      async (job) => {
        order.push(job.name);
        if (job.name === 'holder') await gate;
      },
      {
        limit: 1,
        priorities: ['critical', 'bulk'],
        priority: (job) => (job.data.prio as string | undefined) ?? 'bulk',
        fallbackDelayMs: 30_000,
      },
    );
    await queue.add('holder', { key: 'k' });
    await until(() => order.length === 1, 10_000, 'holder');
    closers.push(async () => release());
    const parkedKey = async () => (await scanKeys(redis, `{${prefix}:bq:*:p`))[0];
    const parked = async () => {
      const key = await parkedKey();
      return key === undefined ? 0 : await redis.zcard(key);
    };
    // One at a time: the park order is the order in which jobs found the key full.
    const arrivals: [string, string][] = [
      ['b1', 'bulk'],
      ['b2', 'bulk'],
      ['c1', 'critical'],
      ['c2', 'critical'],
    ];
    for (const [i, [name, prio]] of arrivals.entries()) {
      await queue.add(name, { key: 'k', prio });
      await until(async () => (await parked()) === i + 1, 10_000, `${name} parked`);
    }
    release();
    await until(() => order.length === 5, 20_000, 'all jobs');
    expect(order).toEqual(['holder', 'c1', 'c2', 'b1', 'b2']);
  });

  it('aborts the processor signal when the permit is lost, and fails the attempt with ERR_LEASE_LOST', async () => {
    let reason: unknown;
    const { queue, redis, prefix } = setup(
      async (_job, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        reason = signal.reason;
      },
      { limit: 1, ttlMs: 300 },
    );
    const job = await queue.add('j', { key: 'k' });
    await until(async () => (await scanKeys(redis, `{${prefix}:s:*`)).length > 0, 10_000, 'permit');
    // Take the permit away behind the holder's back (as a failover or eviction would).
    await redis.del(...(await scanKeys(redis, `{${prefix}:s:*`)));
    await until(() => reason !== undefined, 10_000, 'signal');
    expect((reason as LockstepError).code).toBe('ERR_LEASE_LOST');
    await until(async () => (await job.getState()) === 'failed', 10_000, 'failed');
    const failed = await queue.getJob(job.id as string);
    expect(failed?.failedReason).toMatch(/was lost/);
    expect(errors.splice(0)).toEqual([`j: ${failed?.failedReason}`]);
  });

  it('takes its defaults for options given as undefined (config values passed through)', async () => {
    const unset = undefined;
    let running = 0;
    let most = 0;
    const { queue } = setup(
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
      },
      {
        limit: 1,
        concurrency: 5,
        priority: unset,
        priorities: unset,
        ttlMs: unset,
        fallbackDelayMs: unset,
        reserveMs: unset,
        queue: unset,
        maxStartedAttempts: unset,
      },
    );
    await queue.addBulk(Array.from({ length: 5 }, () => ({ name: 'j', data: { key: 'k' } })));
    await until(async () => (await queue.getCompletedCount()) === 5, 30_000, '5 completed');
    expect(most).toBe(1);
  });

  it('parking uses no attempt and never fails the job', async () => {
    let running = 0;
    const { queue } = setup(
      async () => {
        running++;
        await new Promise((r) => setTimeout(r, 20));
        running--;
      },
      { limit: 1, concurrency: 10 },
    );
    const jobs = await queue.addBulk(
      Array.from({ length: 10 }, () => ({ name: 'j', data: { key: 'k' }, opts: { attempts: 1 } })),
    );
    await until(async () => (await queue.getCompletedCount()) === 10, 30_000, '10 completed');
    for (const j of jobs) {
      const done = await queue.getJob(j.id as string);
      expect(done?.attemptsMade).toBe(1);
    }
    expect(running).toBe(0);
  });

  it('setLimit raises a key limit at run time and wakes parked jobs that now fit', async () => {
    let running = 0;
    let peak = 0;
    let hold = true;
    const { queue, processor } = setup(
      async () => {
        running++;
        peak = Math.max(peak, running);
        await until(() => !hold, 20_000, 'hold');
        running--;
      },
      { limit: 1, fallbackDelayMs: 30_000 },
    );
    const [first] = await queue.addBulk(Array.from({ length: 4 }, () => ({ name: 'j', data: { key: 'k' } })));
    await until(() => running === 1, 10_000, 'first');
    await until(async () => (await queue.getDelayedCount()) === 3, 10_000, '3 parked');
    await processor.gate.setLimit(first as KeyJob, 'k', 3);
    await until(() => running === 3, 10_000, '3 running');
    hold = false;
    await until(async () => (await queue.getCompletedCount()) === 4, 20_000, 'all');
    expect(peak).toBe(3);
  });
  it('keeps BullMQ job priorities, retries and removeOnComplete working', async () => {
    let hold = true;
    let attempts = 0;
    const order: string[] = [];
    const { queue } = setup(
      async (job) => {
        order.push(job.name);
        if (job.name === 'holder') await until(() => !hold, 20_000, 'hold');
        if (job.name === 'flaky' && ++attempts === 1) throw new Error('first attempt fails');
      },
      { limit: 1, fallbackDelayMs: 30_000 },
    );
    await queue.add('holder', { key: 'k' });
    await until(() => order.length === 1, 10_000, 'holder');
    const prioritized = await queue.add('prioritized', { key: 'k' }, { priority: 5 });
    const flaky = await queue.add('flaky', { key: 'k' }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    const removed = await queue.add('removed', { key: 'k' }, { removeOnComplete: true });
    await until(async () => (await queue.getDelayedCount()) === 3, 10_000, '3 parked');
    hold = false;
    await until(async () => (await queue.getCompletedCount()) === 3, 20_000, 'completed');
    expect((await queue.getJob(prioritized.id as string))?.priority).toBe(5);
    const retried = await queue.getJob(flaky.id as string);
    expect(retried?.attemptsMade).toBe(2);
    expect(await retried?.getState()).toBe('completed');
    expect(await queue.getJob(removed.id as string)).toBeUndefined();
    expect(order.filter((n) => n === 'flaky')).toHaveLength(2);
    expect(errors.splice(0)).toEqual(['flaky: first attempt fails']);
  });
  it('a lost wake-up costs the fallback delay, never a stuck job', async () => {
    let hold = true;
    const started = new Map<string, number>();
    const { queue, redis, prefix } = setup(
      async (job) => {
        started.set(job.name, hostNow());
        if (job.name === 'holder') await until(() => !hold, 20_000, 'hold');
      },
      { limit: 1, fallbackDelayMs: 300 },
    );
    await queue.add('holder', { key: 'k' });
    await until(() => started.has('holder'), 10_000, 'holder');
    await queue.add('parked', { key: 'k' });
    await until(async () => (await queue.getDelayedCount()) === 1, 10_000, 'parked');
    // Lose the record of the parked job: the release below has nobody to wake.
    await redis.del(...(await scanKeys(redis, `{${prefix}:bq:*:p`)));
    hold = false;
    // Its fallback delay (300 ms) brings it back; it takes the free permit and runs.
    await until(async () => (await queue.getCompletedCount()) === 2, 20_000, 'the parked job to run');
    expect(started.has('parked')).toBe(true);
    expect(await queue.getDelayedCount()).toBe(0);
  });
  it('extends the permit while a job outlives its TTL, and holds the limit meanwhile', async () => {
    const spans: { name: string; start: number; end: number; aborted: boolean }[] = [];
    const { queue } = setup(
      async (job, signal) => {
        const start = hostNow();
        await new Promise((r) => setTimeout(r, job.name === 'long' ? 1_600 : 1));
        spans.push({ name: job.name, start, end: hostNow(), aborted: signal.aborted });
      },
      { limit: 1, ttlMs: 500 },
    );
    await queue.add('long', { key: 'k' });
    await until(async () => (await queue.getActiveCount()) === 1, 10_000, 'long to start');
    await queue.add('next', { key: 'k' });
    await until(async () => (await queue.getCompletedCount()) === 2, 20_000, 'both');
    const [long, next] = spans;
    expect(long?.name).toBe('long');
    expect(long?.aborted).toBe(false);
    expect(next?.start).toBeGreaterThanOrEqual(long?.end as number);
  });
});
