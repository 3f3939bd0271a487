import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { portOpen, startRedisServer } from '../src/index.js';

describe('harness', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup) await fn();
  });

  it('starts, restarts empty, pauses and stops a server by pid', async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.stop());
    const redis = new Redis({ port: server.port, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on('error', () => undefined);
    cleanup.push(async () => redis.disconnect());
    await redis.set('k', 'v');
    expect(await redis.get('k')).toBe('v');
    await server.restart();
    expect(await redis.get('k')).toBeNull();
    await server.stop();
    expect(await portOpen(server.port)).toBe(false);
  });
});
