// The middleware's behaviour, run on Express 5 and Express 4 over real sockets and a real Redis.
import { scanKeys } from '@lockstep/test-utils';
import type { NextFunction, Request, Response } from 'express';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { type ConcurrencyLimitOptions, concurrencyLimit } from '../src/index.js';
import { listen, openRequest, request } from './support/http.js';
import { gate, settled, testLockstep, testLockstepAndClient } from './support/lockstep.js';

const lockstep = testLockstep();
let counter = 0;

const FLAVORS = [
  ['Express 5', express5],
  ['Express 4', express4],
] as const;

describe.each(FLAVORS)('%s', (_label, express) => {
  /** An app with one limited route `/r`; the handler is the test's. */
  async function app(
    options: Partial<ConcurrencyLimitOptions<Request, Response>>,
    handler: (req: Request, res: Response, next: NextFunction) => unknown,
  ) {
    counter += 1;
    const name = `route-${counter}`;
    const limit = typeof options.limit === 'number' ? options.limit : 1;
    const middleware = concurrencyLimit<Request, Response>({ lockstep, name, limit: 1, ...options });
    const a = express();
    a.get('/r', middleware, handler);
    a.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).send(`error: ${err.message}`);
    });
    const { port } = await listen(a);
    return { port, semaphore: lockstep.semaphore(name, { limit }) };
  }

  it('admits a request, puts the permit on req.lockstep and releases it when the response ends', async () => {
    let seen: unknown;
    const { port, semaphore } = await app({ limit: 2 }, (req, res) => {
      const p = req.lockstep;
      seen = p && { name: p.name, limit: p.limit, held: p.lease.held, fence: typeof p.lease.fence, waited: p.waitedMs };
      res.send('ok');
    });
    const reply = await request(port, '/r');
    expect(reply.status).toBe(200);
    expect(seen).toMatchObject({ limit: 2, held: true, fence: 'number' });
    expect((seen as { name: string }).name).toMatch(/^route-/);
    expect((seen as { waited: number }).waited).toBeGreaterThanOrEqual(0);
    await settled(semaphore, 0, 0);
  });

  it('takes its defaults for options given as undefined (config values passed through)', async () => {
    const unset = undefined;
    let seen: unknown;
    const { port, semaphore } = await app(
      {
        weight: unset,
        priority: unset,
        priorities: unset,
        waitMs: unset,
        maxWaiters: unset,
        ttlMs: unset,
        statusCode: unset,
        standardHeaders: unset,
        skip: unset,
        handler: unset,
        onError: unset,
        passOnStoreError: unset,
      },
      (req, res) => {
        const lease = req.lockstep?.lease;
        seen = lease && { weight: lease.weight, ttlLeft: lease.remainingMs > 9_000 };
        res.send('ok');
      },
    );
    const reply = await request(port, '/r');
    expect(reply.status).toBe(200);
    expect(reply.headers.ratelimit).toBeUndefined(); // standardHeaders: false
    expect(seen).toEqual({ weight: 1, ttlLeft: true }); // weight 1, ttlMs 10 s
    await settled(semaphore, 0, 0);
  });

  it('serves queued requests by priority, then arrival', async () => {
    const order: string[] = [];
    const hold = gate();
    const { port, semaphore } = await app(
      { priorities: ['critical', 'bulk'], priority: (req) => String(req.query.p) },
      async (req, res) => {
        order.push(String(req.query.id));
        if (req.query.id === 'first') await hold.promise;
        res.send('ok');
      },
    );
    const first = request(port, '/r?p=bulk&id=first');
    await settled(semaphore, 1, 0);
    const queued: Promise<unknown>[] = [];
    const plan = [
      ['bulk', 'b1'],
      ['critical', 'c1'],
      ['bulk', 'b2'],
      ['critical', 'c2'],
    ];
    for (const [p, id] of plan) {
      queued.push(request(port, `/r?p=${p}&id=${id}`));
      await settled(semaphore, 1, queued.length); // arrival order is the order the test chose
    }
    hold.open();
    await Promise.all([first, ...queued]);
    expect(order).toEqual(['first', 'c1', 'c2', 'b1', 'b2']);
    await settled(semaphore, 0, 0);
  });

  it('answers 503 with Retry-After and a problem body when waitMs runs out', async () => {
    const hold = gate();
    const { port, semaphore } = await app({ waitMs: 300 }, async (_req, res) => {
      await hold.promise;
      res.send('ok');
    });
    const first = request(port, '/r');
    await settled(semaphore, 1, 0);
    const reply = await request(port, '/r');
    expect(reply.status).toBe(503);
    const retryAfter = Number(reply.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 503, code: 'ERR_ACQUIRE_TIMEOUT' });
    await settled(semaphore, 1, 0); // the timed-out waiter left the queue
    hold.open();
    expect((await first).status).toBe(200);
    await settled(semaphore, 0, 0);
  });

  it('bases Retry-After on observed hold times, not on the ~ttlMs lease of an auto-extended holder', async () => {
    const hold = gate();
    let holding = false;
    // Default ttlMs (10 s): the holder's lease stays ~10 s ahead while it is extended.
    const { port, semaphore } = await app({ waitMs: 0 }, async (req, res) => {
      if (req.query.hold === '1') {
        holding = true;
        await hold.promise;
      } else await new Promise((resolve) => setTimeout(resolve, 50));
      res.send('ok');
    });
    for (let i = 0; i < 3; i++) expect((await request(port, '/r')).status).toBe(200);
    await settled(semaphore, 0, 0);
    const holder = request(port, '/r?hold=1');
    await settled(semaphore, 1, 0);
    expect(holding).toBe(true);
    const rejected = await request(port, '/r');
    expect(rejected.status).toBe(503);
    // ~50 ms holds and nobody queued: 1 s, plus at most 1 s of jitter (the lease would say 10-12 s).
    expect(Number(rejected.headers['retry-after'])).toBeLessThanOrEqual(2);
    hold.open();
    expect((await holder).status).toBe(200);
    await settled(semaphore, 0, 0);
  });

  it('rejects at once past maxWaiters, and at once when waitMs is 0', async () => {
    const hold = gate();
    const reasons: string[] = [];
    const opts = { maxWaiters: 1, waitMs: 30_000 };
    const { port, semaphore } = await app(opts, async (_req, res) => {
      await hold.promise;
      res.send('ok');
    });
    const first = request(port, '/r');
    await settled(semaphore, 1, 0);
    const second = request(port, '/r');
    await settled(semaphore, 1, 1);
    const started = performance.now();
    const third = await request(port, '/r');
    expect(third.status).toBe(503);
    expect(JSON.parse(third.body).code).toBe('ERR_QUEUE_FULL');
    expect(performance.now() - started).toBeLessThan(20_000); // nowhere near waitMs
    const busy = await app(
      {
        waitMs: 0,
        handler: (_req, res, _next, info) => {
          reasons.push(info.reason);
          res.status(info.statusCode).set('X-Reason', info.reason).end();
        },
      },
      async (_req, res) => {
        await hold.promise;
        res.send('ok');
      },
    );
    const blocker = request(busy.port, '/r');
    await settled(busy.semaphore, 1, 0);
    const rejected = await request(busy.port, '/r');
    expect(rejected.status).toBe(503);
    expect(rejected.headers['x-reason']).toBe('busy');
    expect(Number(rejected.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    hold.open();
    expect((await Promise.all([first, second, blocker])).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(reasons).toEqual(['busy']);
    await settled(semaphore, 0, 0);
    await settled(busy.semaphore, 0, 0);
  });

  it('releases the permit when the handler throws', async () => {
    const { port, semaphore } = await app({}, () => {
      throw new Error('boom');
    });
    for (let i = 0; i < 3; i++) {
      const reply = await request(port, '/r');
      expect(reply.status).toBe(500);
      expect(reply.body).toBe('error: boom');
    }
    await settled(semaphore, 0, 0);
  });

  it('holds the permit of a streaming response until the stream ends', async () => {
    const hold = gate();
    const started: string[] = [];
    const { port, semaphore } = await app({}, async (req, res) => {
      started.push(String(req.query.id));
      res.write('part 1;');
      if (req.query.id === 'stream') await hold.promise;
      res.end('part 2');
    });
    const stream = openRequest(port, '/r?id=stream');
    const chunk = await new Promise<string>((resolve) =>
      stream.response.then((res) => res.once('data', (c: Buffer) => resolve(c.toString()))),
    );
    expect(chunk).toBe('part 1;');
    const next = request(port, '/r?id=next');
    await settled(semaphore, 1, 1);
    expect(started).toEqual(['stream']);
    hold.open();
    expect((await next).body).toBe('part 1;part 2');
    expect(started).toEqual(['stream', 'next']);
    await settled(semaphore, 0, 0);
  });

  it('takes weight permits per request, and extends the permit while a slow response is open', async () => {
    const hold = gate();
    const { port, semaphore } = await app(
      // ttlMs 1 s (extended every ~1/3 of it): a shorter TTL is lost to one event-loop stall on a
      // loaded machine, and the test would then see the permits expire rather than extension fail.
      { limit: 3, ttlMs: 1_000, weight: (req) => Number(req.query.w) },
      async (req, res) => {
        if (req.query.hold === '1') await hold.promise;
        res.send(`held ${req.lockstep?.lease.held} weight ${req.lockstep?.lease.weight}`);
      },
    );
    const heavy = request(port, '/r?w=2&hold=1');
    await settled(semaphore, 2, 0);
    const light = await request(port, '/r?w=1');
    expect(light.body).toBe('held true weight 1');
    const second = request(port, '/r?w=2');
    await settled(semaphore, 2, 1); // 2 of 3 taken: a weight of 2 waits
    // Several TTLs later the slow response still holds its permits (auto-extended), nothing leaked in.
    await new Promise((r) => setTimeout(r, 3_000));
    await settled(semaphore, 2, 1);
    hold.open();
    expect((await heavy).body).toBe('held true weight 2');
    expect((await second).body).toBe('held true weight 2');
    await settled(semaphore, 0, 0);
  });

  it('adds the IETF RateLimit fields, uses statusCode, and skips what skip() says', async () => {
    const hold = gate();
    const { port, semaphore } = await app(
      {
        limit: 2,
        waitMs: 0,
        standardHeaders: true,
        statusCode: 429,
        skip: (req) => req.query.skip === '1',
      },
      async (req, res) => {
        if (req.query.hold === '1') await hold.promise;
        res.send(req.lockstep ? 'limited' : 'skipped');
      },
    );
    const ok = await request(port, '/r');
    expect(ok.headers['ratelimit-policy']).toBe('"concurrency";q=2;qu="concurrent-requests"');
    expect(ok.headers.ratelimit).toBe('"concurrency";r=1');
    const holders = [request(port, '/r?hold=1'), request(port, '/r?hold=1')];
    await settled(semaphore, 2, 0);
    const rejected = await request(port, '/r');
    expect(rejected.status).toBe(429);
    expect(rejected.headers.ratelimit).toMatch(/^"concurrency";r=0;t=\d+$/);
    const skipped = await request(port, '/r?skip=1');
    expect(skipped.body).toBe('skipped');
    hold.open();
    await Promise.all(holders);
    await settled(semaphore, 0, 0);
  });
});

describe('Express 5 only', () => {
  it('releases the permit when an async handler rejects', async () => {
    const name = 'async-reject';
    const a = express5();
    a.get('/r', concurrencyLimit({ lockstep, name, limit: 1 }), async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('async boom');
    });
    const { port } = await listen(a);
    const replies = await Promise.all([request(port, '/r'), request(port, '/r')]);
    expect(replies.map((r) => r.status)).toEqual([500, 500]);
    await settled(lockstep.semaphore(name, { limit: 1 }), 0, 0);
  });

  it('aborts lease.signal with ERR_LEASE_LOST when the permit is lost while the handler runs', async () => {
    const { lockstep: own, redis, prefix } = testLockstepAndClient();
    const reasons: string[] = [];
    const a = express5();
    a.get('/r', concurrencyLimit({ lockstep: own, name: 'lost', limit: 1, ttlMs: 300 }), (req, res) => {
      const signal = req.lockstep?.lease.signal as AbortSignal;
      signal.addEventListener('abort', () => {
        reasons.push((signal.reason as { code: string }).code);
        res.status(500).send('lost');
      });
    });
    const { port } = await listen(a);
    const reply = request(port, '/r');
    await settled(own.semaphore('lost', { limit: 1 }), 1, 0);
    // Someone deletes the semaphore's keys (an eviction, a FLUSHDB): the next extension finds nothing.
    await redis.del(...(await scanKeys(redis, `*${prefix}*`)));
    expect((await reply).body).toBe('lost');
    expect(reasons).toEqual(['ERR_LEASE_LOST']);
  });

  it('a queued request heavier than the limit a releaser computed gets ERR_WEIGHT_EXCEEDS_LIMIT through next(error)', async () => {
    const a = express5();
    const param = (req: Request, key: string) => Number(req.query[key]);
    a.get(
      '/r',
      concurrencyLimit<Request>({
        lockstep,
        name: 'disagreeing-limits',
        limit: (req) => param(req, 'limit'),
        weight: (req) => param(req, 'weight'),
        waitMs: 5_000,
      }),
      (req: Request, res: Response) => {
        setTimeout(() => res.send('ok'), param(req, 'hold'));
      },
    );
    a.use((err: { code?: string }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).send(String(err.code));
    });
    const { port } = await listen(a);
    const light = [request(port, '/r?limit=2&weight=1&hold=200'), request(port, '/r?limit=2&weight=1&hold=400')];
    await settled(lockstep.semaphore('disagreeing-limits', { limit: 2 }), 2, 0);
    // Under its own limit of 4 it would fit once one light request is done; the releaser's limit is 2.
    const heavy = await request(port, '/r?limit=4&weight=3&hold=10');
    expect(`${heavy.status} ${heavy.body}`).toBe('500 ERR_WEIGHT_EXCEEDS_LIMIT');
    expect((await Promise.all(light)).map((r) => r.status)).toEqual([200, 200]);
    await settled(lockstep.semaphore('disagreeing-limits', { limit: 2 }), 0, 0);
  });
});
