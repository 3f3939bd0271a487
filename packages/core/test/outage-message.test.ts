// ERR_REDIS says when the client's connection to Redis was down: a request that got no reply then
// reads as the outage it is, and one that timed out over a ready connection stays as it was.
import { freePort, RedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Lockstep } from '../src/index.js';

const DOWN = /\(the client's connection to Redis is "(reconnecting|connecting)", not "ready"\)$/;

function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected ERR_REDIS, got a result');
    },
    (error: Error & { code?: string }) => error,
  );
}

describe('ERR_REDIS and the connection state', () => {
  it('names a connection that is down for acquire, tryAcquire and a semaphore', async () => {
    const port = await freePort(); // nothing listens there
    const redis = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 20 });
    redis.on('error', () => undefined);
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('down'), requestTimeoutMs: 150, onError: () => {} });
    try {
      const attempts = [
        () => lockstep.lock('d').acquire({ waitMs: 300 }),
        () => lockstep.lock('d').tryAcquire(),
        () => lockstep.semaphore('s', { limit: 2 }).acquire({ waitMs: 300 }),
      ];
      for (const attempt of attempts) {
        const error = await failure(attempt());
        expect(error.code).toBe('ERR_REDIS');
        expect(error.message).toMatch(DOWN);
      }
    } finally {
      await lockstep.close();
      redis.disconnect();
    }
  });

  it('names it for a release after the server went away, and not for a server that is only slow', async () => {
    const server = await RedisServer.start();
    const redis = new Redis(server.url, { retryStrategy: () => 20 });
    redis.on('error', () => undefined);
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('gone'), requestTimeoutMs: 150, onError: () => {} });
    try {
      const slow = await lockstep.lock('slow').acquire();
      const gone = await lockstep.semaphore('gone', { limit: 1 }).acquire();
      // Paused: the connection stays ready, so the timeout is reported as it was.
      process.kill(server.pid as number, 'SIGSTOP');
      try {
        const error = await failure(slow.release());
        expect(error.code).toBe('ERR_REDIS');
        expect(error.message).toBe('releasing "slow" got no reply within 150 ms');
      } finally {
        process.kill(server.pid as number, 'SIGCONT');
      }
      await server.stop();
      const error = await failure(gone.release());
      expect(error.code).toBe('ERR_REDIS');
      expect(error.message).toMatch(/^releasing "gone" got no reply within 150 ms /);
      expect(error.message).toMatch(DOWN);
    } finally {
      await lockstep.close();
      redis.disconnect();
      await server.stop();
    }
  });
});
