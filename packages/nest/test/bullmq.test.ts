// @Limited on @nestjs/bullmq's WorkerHost.process: a real BullMQ worker with concurrency 4 runs at
// most `limit` jobs at once; the processor waits for a permit (limitProcessor in @lockstep/bullmq
// is the non-blocking option). BullMQ keeps keys without a TTL, so this uses its own Redis.
import 'reflect-metadata';
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { BullModule, InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLease, Limited, LockstepModule } from '../src/index.js';

const QUEUE = 'renders';
const seen = { active: 0, maxActive: 0, done: 0, fenced: 0 };
let allDone: () => void = () => undefined;

@Processor(QUEUE, { concurrency: 4 })
class RenderProcessor extends WorkerHost {
  @Limited((job: Job<{ tenant: string }>) => `renders:${job.data.tenant}`, { limit: 1, waitMs: 30_000 })
  async process(_job: Job<{ tenant: string }>): Promise<void> {
    seen.active++;
    seen.maxActive = Math.max(seen.maxActive, seen.active);
    if (currentLease()) seen.fenced++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen.active--;
    if (++seen.done === 6) allDone();
  }
}

class Producer {
  constructor(@InjectQueue(QUEUE) readonly queue: Queue) {}
}

describe('@Limited on a BullMQ processor', () => {
  let server: RedisServer;
  let ref: TestingModule;

  beforeAll(async () => {
    server = await startRedisServer();
    const connection = { host: '127.0.0.1', port: server.port };
    @Module({
      imports: [
        LockstepModule.forRoot({ redis: `redis://127.0.0.1:${server.port}`, prefix: uniquePrefix('bull') }),
        BullModule.forRoot({ connection }),
        BullModule.registerQueue({ name: QUEUE }),
      ],
      providers: [RenderProcessor, Producer],
    })
    class AppModule {}
    ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await ref.init();
  });

  afterAll(async () => {
    await ref?.close();
    await server?.stop();
  });

  it('runs one job per tenant at a time although the worker runs four at once', async () => {
    const finished = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const { queue } = ref.get(Producer);
    await queue.addBulk(Array.from({ length: 6 }, () => ({ name: 'render', data: { tenant: 'acme' } })));
    await finished;
    expect(seen.maxActive).toBe(1);
    expect(seen.fenced).toBe(6);
  });
});
