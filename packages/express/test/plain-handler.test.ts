// The middleware as a plain (req, res, next) handler: a bare http server and Connect.
import type { IncomingMessage, ServerResponse } from 'node:http';
import connect from 'connect';
import { describe, expect, it } from 'vitest';
import { concurrencyLimit } from '../src/index.js';
import { listen, request } from './support/http.js';
import { gate, settled, testLockstep } from './support/lockstep.js';

const lockstep = testLockstep();

describe('bare http server', () => {
  it('limits, exposes req.lockstep, and releases when the handler throws inside next', async () => {
    const limit = concurrencyLimit({ lockstep, name: 'bare', limit: 1, waitMs: 0 });
    const hold = gate();
    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/throw') throw new Error('bare boom');
      if (req.url === '/hold') await hold.promise;
      res.end(`fence ${typeof req.lockstep?.lease.fence}`);
    };
    const { port } = await listen((req, res) => {
      void limit(req, res, (error?: unknown) => {
        if (error) {
          res.statusCode = 500;
          res.end(`error: ${(error as Error).message}`);
          return;
        }
        const done = handle(req, res);
        if (req.url === '/throw') {
          // A synchronous throw out of `next`, as a bare server's own dispatch may do.
          done.catch(() => undefined);
          throw new Error('bare boom');
        }
      });
    });
    const semaphore = lockstep.semaphore('bare', { limit: 1 });
    expect((await request(port, '/')).body).toBe('fence number');
    const held = request(port, '/hold');
    await settled(semaphore, 1, 0);
    const busy = await request(port, '/');
    expect(busy.status).toBe(503);
    expect(JSON.parse(busy.body).code).toBe('ERR_ACQUIRE_TIMEOUT');
    hold.open();
    await held;
    const thrown = await request(port, '/throw');
    expect(thrown).toMatchObject({ status: 500, body: 'error: bare boom' });
    await settled(semaphore, 0, 0);
  });
});

describe('a bare server whose next rethrows errors', () => {
  it('never rejects the returned promise: the permit is given back and the socket closed', async () => {
    const limit = concurrencyLimit({
      lockstep,
      name: (req) => (req.url === '/bad' ? '' : 'rethrow'),
      limit: 1,
      waitMs: 0,
      skip: (req) => req.url === '/skip',
    });
    const outcomes: string[] = [];
    const { port } = await listen((req, res) => {
      // A dispatcher of its own: errors are rethrown, and the handler throws too.
      const next = (error?: unknown) => {
        if (error) throw error;
        throw new Error('handler boom');
      };
      limit(req, res, next).then(
        () => outcomes.push('resolved'),
        (error: unknown) => outcomes.push(`rejected: ${(error as Error).message}`),
      );
    });
    for (const path of ['/', '/skip', '/bad']) {
      const outcome = await Promise.race([
        request(port, path).then(
          (reply) => `answered ${reply.status}`,
          () => 'closed',
        ),
        new Promise((resolve) => setTimeout(resolve, 5_000, 'left hanging')),
      ]);
      expect(outcome, path).toBe('closed');
    }
    expect(outcomes).toEqual(['resolved', 'resolved', 'resolved']);
    await settled(lockstep.semaphore('rethrow', { limit: 1 }), 0, 0);
  });
});

describe('Connect', () => {
  it('runs as Connect middleware, and Connect reports a throwing handler', async () => {
    const app = connect();
    app.use('/r', concurrencyLimit({ lockstep, name: 'connect', limit: 2 }));
    app.use('/r', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.includes('throw')) throw new Error('connect boom');
      res.end(`ok ${req.lockstep?.limit}`);
    });
    const { port } = await listen(app);
    const replies = await Promise.all(Array.from({ length: 6 }, () => request(port, '/r')));
    expect(replies.map((r) => r.body)).toEqual(Array(6).fill('ok 2'));
    expect((await request(port, '/r?throw')).status).toBe(500);
    await settled(lockstep.semaphore('connect', { limit: 2 }), 0, 0);
  });
});
