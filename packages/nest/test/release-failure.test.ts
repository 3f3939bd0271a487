// A decorated method that succeeded keeps its result when only the release fails (Redis went away
// while it ran): the caller must not be told to redo work that was done. The failure goes to
// onError and the lease expires with its TTL, as core's withLock does.
import 'reflect-metadata';
import { isLockstepError } from '@lockstep/core';
import { startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { Limited, Locked, LockstepModule } from '../src/index.js';

let stopRedis: () => Promise<void> = async () => undefined;

@Injectable()
class Payments {
  @Locked((id: string) => `payment:${id}`)
  async pay(id: string): Promise<string> {
    await stopRedis();
    return `paid ${id}`;
  }

  @Limited('exports', { limit: 2 })
  async export(): Promise<string> {
    await stopRedis();
    return 'exported';
  }
}

for (const method of ['pay', 'export'] as const) {
  it(`${method}: resolves with the method's result and reports the failed release to onError`, async () => {
    const server = await startRedisServer();
    const redis = new Redis(server.port, '127.0.0.1', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    await new Promise((resolve) => redis.once('ready', resolve));
    stopRedis = () => server.stop();
    const reported: unknown[] = [];
    const ref = await Test.createTestingModule({
      imports: [
        LockstepModule.forRoot({
          redis,
          prefix: uniquePrefix('release-failure'),
          requestTimeoutMs: 500,
          onError: (error) => reported.push(error),
        }),
      ],
      providers: [Payments],
    }).compile();
    await ref.init();
    try {
      const payments = ref.get(Payments);
      const outcome = await (method === 'pay' ? payments.pay('42') : payments.export()).then(
        (value) => value,
        (error: unknown) => error,
      );
      expect(outcome).toBe(method === 'pay' ? 'paid 42' : 'exported');
      expect(reported.some((error) => isLockstepError(error, 'ERR_REDIS'))).toBe(true);
    } finally {
      await ref.close();
      redis.disconnect();
      await server.stop();
    }
  });
}
