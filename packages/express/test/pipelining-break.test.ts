// HTTP/1.1 pipelining: a client sends several requests on one connection, then leaves. Node assigns the
// socket to one response at a time; the responses queued behind it never get a socket, so they never
// emit 'finish' nor 'close'. Only their request is destroyed. The permit must still come back.
import net from 'node:net';
import type { Request, Response } from 'express';
import express5 from 'express';
import express4 from 'express4';
import { describe, it } from 'vitest';
import { concurrencyLimit } from '../src/index.js';
import { listen } from './support/http.js';
import { settled, testLockstep } from './support/lockstep.js';

const lockstep = testLockstep();

/** Opens one connection, writes `paths` as pipelined GETs at once; resolves with the socket. */
async function pipeline(port: number, paths: string[]): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`).join(''));
  return socket;
}

async function leave(socket: net.Socket): Promise<void> {
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('%s', (label, express) => {
  it('gives back the permit of a pipelined request that finished behind a slow one when the client leaves', async () => {
    const name = `pipe-done-${label}`;
    const semaphore = lockstep.semaphore(name, { limit: 4 });
    const app = express();
    app.get('/r', concurrencyLimit({ lockstep, name, limit: 4, ttlMs: 1_500 }), (req: Request, res: Response) => {
      // The first request never answers (its client will leave); the second answers at once, but
      // its response waits behind the first one's on the connection.
      if (req.query.slow === '1') return;
      res.end('fast');
    });
    const { port } = await listen(app);
    const socket = await pipeline(port, ['/r?slow=1', '/r?slow=0']);
    await settled(semaphore, 2, 0);
    await leave(socket);
    // Both clients are gone: no permit may stay held (auto-extended, it never expires).
    await settled(semaphore, 0, 0, 6_000);
  });

  it('stops waiting for a pipelined request still queued for a permit when the client leaves', async () => {
    const name = `pipe-queued-${label}`;
    const semaphore = lockstep.semaphore(name, { limit: 1 });
    const ran: string[] = [];
    const app = express();
    app.get(
      '/r',
      concurrencyLimit({ lockstep, name, limit: 1, ttlMs: 1_500, waitMs: 60_000 }),
      (req: Request, res: Response) => {
        ran.push(String(req.query.id));
        if (req.query.id === 'holder') {
          setTimeout(() => res.end('done'), 2_000);
          return;
        }
        res.end('ok');
      },
    );
    const { port } = await listen(app);
    const holder = await pipeline(port, ['/r?id=holder']);
    await settled(semaphore, 1, 0);
    const socket = await pipeline(port, ['/r?id=a', '/r?id=b']);
    await settled(semaphore, 1, 2);
    await leave(socket);
    // Both queued requests' client left: neither may run, and no permit may stay held.
    await settled(semaphore, 1, 0, 1_000);
    await settled(semaphore, 0, 0, 6_000);
    await leave(holder);
    if (ran.includes('a') || ran.includes('b')) throw new Error(`a left request ran: ${ran.join(',')}`);
  });
});
