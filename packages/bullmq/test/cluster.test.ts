import { Lockstep } from '@lockstep/core';
import { scanKeys, uniquePrefix } from '@lockstep/test-utils';
import { clusterClient } from '@lockstep/test-utils/context';
import { type Job, Queue, Worker } from 'bullmq';
import { Cluster } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { limitProcessor } from '../src/index.js';
import { hostNow, maxConcurrency, until, type WorkInterval } from './support/harness.js';

describe('limitProcessor on a Redis Cluster', () => {
  it("works with BullMQ's {prefix} hash-tag convention", async () => {
    const redis = clusterClient();
    const prefix = uniquePrefix('bqc');
    const bullPrefix = `{b-${prefix}}`;
    const name = `q-${prefix}`;
    const nodes = inject('clusterPorts').map((port) => ({ host: '127.0.0.1', port }));
    const connections: Cluster[] = [];
    const connection = () => {
      const c = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: null } });
      connections.push(c);
      return c;
    };
    const queue = new Queue(name, { connection: connection(), prefix: bullPrefix });
    const lockstep = new Lockstep({ redis, prefix });
    const intervals: WorkInterval[] = [];
    const limits: Record<string, number> = { a: 1, b: 2 };
    const processor = limitProcessor<Job<{ key: string }>, void>(
      async (job) => {
        const start = hostNow();
        await new Promise((r) => setTimeout(r, 5));
        intervals.push({ job: job.id as string, key: job.data.key, start, end: hostNow(), w: 'x' });
      },
      { lockstep, prefix, key: (job) => job.data.key, limit: (key) => limits[key] ?? 1 },
    );
    const workers = [0, 1].map(
      () => new Worker(name, processor, { connection: connection(), prefix: bullPrefix, concurrency: 5 }),
    );
    try {
      await queue.addBulk(Array.from({ length: 40 }, (_, i) => ({ name: 'j', data: { key: i % 2 ? 'a' : 'b' } })));
      await until(async () => (await queue.getCompletedCount()) === 40, 40_000, '40 completed');
      const max = maxConcurrency(intervals);
      expect(max.get('a')).toBe(1);
      expect(max.get('b')).toBeLessThanOrEqual(2);
      expect(await queue.getFailedCount()).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await processor.gate.close();
      await lockstep.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      const left = await scanKeys(redis, `${bullPrefix}:*`);
      for (const key of left) await redis.del(key);
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    }
  });
});
