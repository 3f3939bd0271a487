// An onError that throws (a logger that fails, or `(e) => { throw e }`) must not turn a failed
// background extension of a minHoldMs lock into an unhandled rejection, nor replace the call's
// outcome with its own error.
import 'reflect-metadata';
import { startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { Locked, LockstepModule } from '../src/index.js';

const server = await startRedisServer();
const redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
redis.on('error', () => undefined);

afterAll(async () => {
  server.resume();
  redis.disconnect();
  await server.stop();
});

let pause: () => void = () => undefined;

@Injectable()
class Reports {
  @Locked('rollup', { minHoldMs: 2_000, ttlMs: 300 })
  async rollup(): Promise<string> {
    pause();
    await new Promise((resolve) => setTimeout(resolve, 900));
    return 'ran';
  }
}

it('a throwing onError during a failed minHoldMs extension is no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const reported: string[] = [];
  const ref = await Test.createTestingModule({
    imports: [
      LockstepModule.forRoot({
        redis,
        prefix: uniquePrefix('throwing'),
        requestTimeoutMs: 150,
        onError: (error) => {
          reported.push((error as { code?: string }).code ?? String(error));
          throw new Error('the logger is down');
        },
      }),
    ],
    providers: [Reports],
  }).compile();
  await ref.init();
  try {
    // Redis stalls right after the grant: the background extensions fail with ERR_REDIS.
    pause = () => {
      server.pause();
      setTimeout(() => server.resume(), 500).unref();
    };
    const outcome = await ref
      .get(Reports)
      .rollup()
      .then(
        (value) => `resolved ${String(value)}`,
        (error: unknown) => (error as { code?: string }).code ?? String(error),
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reported).toContain('ERR_REDIS');
    expect(unhandled).toEqual([]);
    expect(outcome).not.toContain('the logger is down');
  } finally {
    process.off('unhandledRejection', onUnhandled);
    server.resume();
    await ref.close();
  }
});
