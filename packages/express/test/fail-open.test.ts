// passOnStoreError while the connection is down: the request runs at once without a permit, instead
// of waiting out its waitMs; a client that has not connected yet (lazyConnect) is still used.
import { Lockstep } from '@lockstep/core';
import { freePort, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import express from 'express';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { concurrencyLimit } from '../src/index.js';
import { closeServer, listen, request } from './support/http.js';
import { eventually } from './support/lockstep.js';

function app(lockstep: Lockstep, errors: string[]) {
  const server = express();
  const options = { lockstep, name: 'open', limit: 2, waitMs: 60_000, passOnStoreError: true };
  server.get('/open', concurrencyLimit({ ...options, onError: (e) => errors.push(e.message) }), (req, res) => {
    res.send(req.lockstep ? 'limited' : 'unlimited');
  });
  return listen(server);
}

it('fails open at once while the client is reconnecting, with the state in the reported error', async () => {
  const port = await freePort(); // nothing listens there
  const redis = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 200 });
  redis.on('error', () => undefined);
  const lockstep = new Lockstep({ redis, prefix: uniquePrefix('open') });
  const errors: string[] = [];
  const { server: site, port: http } = await app(lockstep, errors);
  try {
    await eventually(() => redis.status === 'reconnecting');
    // With a 60 s waitMs, a request that waited for Redis would outlive this test's timeout.
    const replies = await Promise.all(Array.from({ length: 5 }, () => request(http, '/open')));
    expect(replies.map((r) => r.body)).toEqual(Array(5).fill('unlimited'));
    expect(errors[0]).toMatch(/connection is "reconnecting"\): the request runs without a permit/);
  } finally {
    await closeServer(site);
    await lockstep.close();
    redis.disconnect();
  }
}, 20_000);

it('still connects a lazyConnect client on the first request, and limits', async () => {
  const server = await startRedisServer();
  const redis = new Redis(server.port, '127.0.0.1', { lazyConnect: true });
  const lockstep = new Lockstep({ redis, prefix: uniquePrefix('lazy') });
  const errors: string[] = [];
  const { server: site, port: http } = await app(lockstep, errors);
  try {
    expect(redis.status).toBe('wait');
    expect((await request(http, '/open')).body).toBe('limited');
    expect(errors).toEqual([]);
  } finally {
    await closeServer(site);
    await lockstep.close();
    await redis.quit();
    await server.stop();
  }
});
