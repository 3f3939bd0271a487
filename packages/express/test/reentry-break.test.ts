// The same name reached twice by one request (the middleware mounted on the app and again on the
// route, or two middlewares sharing a name): taking a second permit would halve the capacity, and
// once `limit` requests each hold one and wait for another, none can proceed (all 503 after waitMs).
// A request already holding a permit of the name passes through on it.
import type { Request, Response } from 'express';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { concurrencyLimit } from '../src/index.js';
import { listen, request } from './support/http.js';
import { settled, testLockstep } from './support/lockstep.js';

const lockstep = testLockstep();

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('%s', (label, express) => {
  it('a request that already holds a permit of the name passes through on it, never waits for itself', async () => {
    const name = `twice-${label}`;
    const semaphore = lockstep.semaphore(name, { limit: 2 });
    const limit = concurrencyLimit({ lockstep, name, limit: 2, waitMs: 5_000 });
    const other = concurrencyLimit({ lockstep, name, limit: 2, waitMs: 5_000 });
    let running = 0;
    let most = 0;
    let mostUsed = 0;
    const app = express();
    app.use(limit);
    app.get('/r', limit, other, async (req: Request, res: Response) => {
      running++;
      most = Math.max(most, running);
      mostUsed = Math.max(mostUsed, (await semaphore.inspect()).used);
      setTimeout(() => {
        running--;
        res.send(`${req.lockstep?.name} ${req.lockstep?.lease.weight}`);
      }, 100);
    });
    const { port } = await listen(app);
    const replies = await Promise.all(Array.from({ length: 6 }, () => request(port, '/r')));
    expect(replies.map((r) => `${r.status} ${r.body}`)).toEqual(Array(6).fill(`200 ${name} 1`));
    expect(most).toBe(2);
    expect(mostUsed).toBe(2);
    await settled(semaphore, 0, 0);
  });
});
