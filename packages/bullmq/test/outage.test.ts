import { Lockstep } from '@lockstep/core';
import { type RedisServer, startRedisServer } from '@lockstep/test-utils';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { limitProcessor } from '../src/index.js';
import { type FreshQueue, freshQueue, until } from './support/harness.js';

describe('an outage of the permits Redis is not contention', () => {
  let q: FreshQueue | undefined;
  let server: RedisServer | undefined;
  afterEach(async () => {
    await server?.stop();
    await q?.cleanup();
  });

  it('fails the job with ERR_REDIS instead of parking it as if its key were full', async () => {
    q = freshQueue(standalonePort(), standaloneClient());
    server = await startRedisServer();
    const permits = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    permits.on('error', () => undefined);
    const lockstep = new Lockstep({ redis: permits, requestTimeoutMs: 500 });
    let ran = 0;
    const processor = limitProcessor<Job<{ key: string }>, void>(
      async () => {
        ran++;
      },
      { lockstep, key: (job) => job.data.key, limit: 1 },
    );
    const worker = new Worker(q.name, processor, {
      connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
      prefix: q.bullPrefix,
    });
    const failures: string[] = [];
    worker.on('failed', (_job, error) => failures.push(String((error as { code?: string }).code)));
    try {
      await server.stop();
      const job = await q.queue.add('j', { key: 'k' });
      await until(async () => (await job.getState()) === 'failed', 20_000, 'the job to fail');
      // BullMQ emits 'failed' after its moveToFailed script returns: the state can be read first.
      await until(() => failures.length > 0, 5_000, "the worker's failed event");
      expect(failures).toEqual(['ERR_REDIS']);
      expect(ran).toBe(0);
      expect(await q.queue.getDelayedCount()).toBe(0);
    } finally {
      await worker.close();
      await processor.gate.close();
      await lockstep.close();
      permits.disconnect();
    }
  });
});
