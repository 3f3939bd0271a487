// Redis stopped mid-load: a 503 that says "outage" (or a pass-through), no crash, recovery after.
import { Lockstep } from '@lockstep/core';
import { keysWithoutTtl, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { concurrencyLimit } from '../src/index.js';
import { listen, type Reply, request } from './support/http.js';
import { eventually, settled } from './support/lockstep.js';

const server = await startRedisServer();
const redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
redis.on('error', () => undefined);
const prefix = uniquePrefix('outage');
const lockstep = new Lockstep({ redis, prefix, requestTimeoutMs: 500 });

afterAll(async () => {
  await lockstep.close();
  redis.disconnect();
  await server.stop();
});

function codeOf(reply: Reply): string {
  return reply.status === 200 ? 'ok' : `${reply.status} ${JSON.parse(reply.body).code}`;
}

it('answers 503 "store unavailable" while Redis is down, passes through if asked, and recovers', async () => {
  const errors: string[] = [];
  const app = express();
  // A limit above the number of client loops: nothing ever waits for a permit, so any "busy" answer
  // would be an outage misreported as contention.
  const options = {
    lockstep,
    limit: 64,
    waitMs: 1_500,
    ttlMs: 2_000,
    onError: (e: { code: string }) => errors.push(e.code),
  };
  app.get('/closed', concurrencyLimit({ ...options, name: 'closed' }), (_req, res) => {
    setTimeout(() => res.send('ok'), 3);
  });
  app.get('/open', concurrencyLimit({ ...options, name: 'open', passOnStoreError: true }), (req, res) => {
    res.send(req.lockstep ? 'limited' : 'unlimited');
  });
  const { port } = await listen(app);

  const seen = new Map<string, number>();
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const reply = await request(port, '/closed');
      seen.set(codeOf(reply), (seen.get(codeOf(reply)) ?? 0) + 1);
    }
  };
  const workers = Array.from({ length: 12 }, loop);
  await eventually(() => (seen.get('ok') ?? 0) >= 100);

  await server.kill();
  const before = seen.get('503 ERR_REDIS') ?? 0;
  await eventually(() => (seen.get('503 ERR_REDIS') ?? 0) >= before + 20, 30_000);
  const down = await request(port, '/closed');
  expect(codeOf(down)).toBe('503 ERR_REDIS');
  expect(JSON.parse(down.body).detail).toMatch(/cannot reach its store/);
  expect(down.headers['retry-after']).toBeUndefined();
  expect((await request(port, '/open')).body).toBe('unlimited');

  await server.restart();
  const okBefore = seen.get('ok') ?? 0;
  await eventually(() => (seen.get('ok') ?? 0) >= okBefore + 100, 30_000);
  stop = true;
  await Promise.all(workers);

  expect((await request(port, '/open')).body).toBe('limited');
  expect(errors).toContain('ERR_REDIS');
  // Never reported as contention while Redis was down: the only rejections are the outage's.
  expect([...seen.keys()].sort()).toEqual(['503 ERR_REDIS', 'ok']);
  await settled(lockstep.semaphore('closed', { limit: 64 }), 0, 0);
  expect(await keysWithoutTtl(redis, `*${prefix}*`)).toEqual([]);
}, 90_000);
