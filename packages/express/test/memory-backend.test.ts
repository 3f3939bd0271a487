// concurrencyLimit over core's in-memory backend (`@lockstep/core/testing`), the one users' own tests
// pass instead of a Redis-backed Lockstep: admission, queueing, a busy rejection and release, over
// real sockets on Express 5.
import { createMemoryLockstep } from '@lockstep/core/testing';
import express, { type Request, type Response } from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { concurrencyLimit } from '../src/index.js';
import { listen, request } from './support/http.js';
import { gate, settled } from './support/lockstep.js';

const lockstep = createMemoryLockstep();
afterAll(() => lockstep.close());

describe('concurrencyLimit with createMemoryLockstep()', () => {
  it('admits, queues, rejects when busy and releases, as over Redis', async () => {
    const hold = gate();
    const app = express();
    const limited = concurrencyLimit({ lockstep, name: 'memory-route', limit: 1, waitMs: 5_000 });
    const busy = concurrencyLimit({ lockstep, name: 'memory-route', limit: 1, waitMs: 0 });
    const handler = async (req: Request, res: Response) => {
      if (req.query.hold === '1') await hold.promise;
      res.send(`fence ${typeof req.lockstep?.lease.fence}`);
    };
    app.get('/wait', limited, handler);
    app.get('/busy', busy, handler);
    const { port } = await listen(app);
    const semaphore = lockstep.semaphore('memory-route', { limit: 1 });

    const first = request(port, '/wait?hold=1');
    await settled(semaphore, 1, 0);
    const queued = request(port, '/wait');
    await settled(semaphore, 1, 1);

    const rejected = await request(port, '/busy');
    expect(rejected.status).toBe(503);
    expect(JSON.parse(rejected.body)).toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    expect(Number(rejected.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    hold.open();
    expect(await first).toMatchObject({ status: 200, body: 'fence number' });
    expect(await queued).toMatchObject({ status: 200, body: 'fence number' });
    await settled(semaphore, 0, 0);
  });
});
