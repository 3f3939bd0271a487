import { Lockstep } from '@lockstep/core';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { DelayedError, type Job, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { JobGate } from '../src/index.js';
import { type FreshQueue, freshQueue, until } from './support/harness.js';

type KeyJob = Job<{ key: string }>;

describe('a woken job gets the permit it was woken for', () => {
  let q: FreshQueue | undefined;
  afterEach(async () => {
    await q?.cleanup();
  });

  it('a job of the same key that reaches a worker first is parked, not granted', async () => {
    const redis = standaloneClient();
    q = freshQueue(standalonePort(), redis);
    const lockstep = new Lockstep({ redis, prefix: q.prefix });
    const gate = new JobGate<KeyJob>({ lockstep, prefix: q.prefix, key: (job) => job.data.key, limit: 1 });
    // A worker without a processor: jobs are fetched and handed to the gate by hand, in a set order.
    const worker = new Worker(q.name, null, {
      connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
      prefix: q.bullPrefix,
    });
    try {
      const [holder, parked] = await q.queue.addBulk([
        { name: 'holder', data: { key: 'k' } },
        { name: 'parked', data: { key: 'k' } },
      ]);
      const h = (await worker.getNextJob('t-holder')) as KeyJob;
      expect(h.id).toBe(holder?.id);
      let finish: (() => void) | undefined;
      const running = gate.run(h, 't-holder', undefined, () => new Promise<void>((r) => (finish = r)));
      // The holder runs (it holds the permit) before the next job reaches the gate: a fixed pause
      // could end first on a loaded machine, and that job would then take the free permit.
      await until(() => finish !== undefined, 10_000, 'the holder to start');

      const p = (await worker.getNextJob('t-parked')) as KeyJob;
      expect(p.id).toBe(parked?.id);
      await expect(gate.run(p, 't-parked', undefined, async () => 'never')).rejects.toBeInstanceOf(DelayedError);
      await gate.close();
      expect(await p.getState()).toBe('delayed');

      // The holder finishes: its permit is reserved for the parked job, which is promoted.
      finish?.();
      await running;
      await h.moveToCompleted('done', 't-holder', false);
      await gate.close();
      expect(await q.queue.getJobState(parked?.id as string)).toBe('waiting');

      // A newcomer arrives after the release and reaches a worker first (LIFO puts it ahead of the
      // promoted job); the permit is free, but not for it.
      const newcomer = await q.queue.add('newcomer', { key: 'k' }, { lifo: true });
      const n = (await worker.getNextJob('t-newcomer')) as KeyJob;
      expect(n.id).toBe(newcomer?.id);
      await expect(gate.run(n, 't-newcomer', undefined, async () => 'never')).rejects.toBeInstanceOf(DelayedError);

      const again = (await worker.getNextJob('t-parked-2')) as KeyJob;
      expect(again.id).toBe(parked?.id);
      expect(await gate.run(again, 't-parked-2', undefined, async () => 'ran')).toBe('ran');
      await gate.close();
    } finally {
      await worker.close();
      await gate.close();
      await lockstep.close();
    }
  });
});
