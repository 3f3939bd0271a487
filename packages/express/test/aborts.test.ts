// 1,000 requests over real sockets: a third leave while queued, a third while handled, a third stay.
import type { Request, Response } from 'express';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { concurrencyLimit } from '../src/index.js';
import { listen, type OpenRequest, openRequest, request } from './support/http.js';
import { settled, testLockstep } from './support/lockstep.js';

const lockstep = testLockstep();
const LIMIT = 10;
const PER_KIND = 333;

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('%s', (label, express) => {
  it('leaves 0 permits used and 0 waiters, finishes every survivor, never runs a left request', async () => {
    const name = `aborts-${label}`;
    const semaphore = lockstep.semaphore(name, { limit: LIMIT });
    const ran = new Set<string>();
    const signalled = new Set<string>();
    const app = express();
    app.get(
      '/r',
      concurrencyLimit({ lockstep, name, limit: LIMIT, waitMs: 60_000, maxWaiters: 2_000 }),
      (req: Request, res: Response) => {
        const id = String(req.query.id);
        ran.add(id);
        if (req.query.kind === 'handled') {
          // Hold the permit until the client leaves; the lease's signal must say so.
          res.write('started');
          req.lockstep?.lease.signal.addEventListener('abort', () => signalled.add(id), { once: true });
          return;
        }
        setTimeout(() => res.end(`done ${id}`), 1);
      },
    );
    const { port } = await listen(app);

    // Saturate the limit with handled requests that hold until their client leaves.
    const handled: OpenRequest[] = [];
    const openHandled = (i: number) => {
      const r = openRequest(port, `/r?kind=handled&id=h${i}`);
      handled.push(r);
      return r;
    };
    for (let i = 0; i < LIMIT; i++) openHandled(i);
    await settled(semaphore, LIMIT, 0);

    // Queue a third, then let every one of them leave: no permit can free up meanwhile.
    const queued = Array.from({ length: PER_KIND }, (_, i) => openRequest(port, `/r?kind=queued&id=q${i}`));
    await settled(semaphore, LIMIT, PER_KIND);
    await Promise.all(queued.map((r) => r.destroy()));
    // Taken out of the queue at once: before a dead waiter's heartbeat could lapse (10 s) and be purged.
    await settled(semaphore, LIMIT, 0, 8_000);

    // The rest: survivors and more handled requests, all queued behind the first holders.
    const survivors = Array.from({ length: PER_KIND + 1 }, (_, i) => request(port, `/r?kind=ok&id=s${i}`));
    for (let i = LIMIT; i < PER_KIND; i++) openHandled(i);
    // Each handled client leaves as soon as its handler has started (its first chunk arrived).
    const leaving = handled.map(async (r) => {
      const res = await r.response;
      await new Promise<void>((resolve) => res.once('data', () => resolve()));
      await r.destroy();
    });
    const replies = await Promise.all(survivors);
    await Promise.all(leaving);

    expect(replies.every((r, i) => r.status === 200 && r.body === `done s${i}`)).toBe(true);
    await settled(semaphore, 0, 0);
    expect([...ran].filter((id) => id.startsWith('q'))).toEqual([]);
    expect([...ran].filter((id) => id.startsWith('h')).length).toBe(PER_KIND);
    expect(signalled.size).toBe(PER_KIND);
  });
  it('gives every permit back when clients leave at any moment (grants racing the aborts)', async () => {
    const name = `race-${label}`;
    const semaphore = lockstep.semaphore(name, { limit: 3 });
    const app = express();
    app.get('/r', concurrencyLimit({ lockstep, name, limit: 3, waitMs: 60_000 }), (_req: Request, res: Response) => {
      setTimeout(() => res.end('done'), 2);
    });
    const { port } = await listen(app);
    const kept: Promise<unknown>[] = [];
    const left: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 2 === 0) {
        kept.push(request(port, `/r?id=${i}`));
        continue;
      }
      // Leave after 0-29 ms: before, during and after the grant.
      const r = openRequest(port, `/r?id=${i}`);
      left.push(new Promise<void>((resolve) => setTimeout(resolve, i % 30)).then(() => r.destroy()));
    }
    const replies = (await Promise.all(kept)) as { status: number }[];
    await Promise.all(left);
    expect(replies.every((r) => r.status === 200)).toBe(true);
    await settled(semaphore, 0, 0);
  });
});
