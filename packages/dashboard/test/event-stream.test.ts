// One viewer's event stream against hosts and clients that do not behave like a browser tab on a
// quiet Express app: hosts that read the request first, HEAD requests, viewers that stop reading,
// hundreds of viewers coming and going. Commands counted with INFO commandstats on a private
// redis-server that nothing else uses.
import type { ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import type { RequestHandler } from 'express';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { delay, eventually } from '../../../test/support/fixtures.js';
import { type Lease, Lockstep, LockstepAdmin } from '../../core/src/index.js';
import type { DashboardOptions } from '../src/index.js';
import { type EventClient, openEvents } from './event-client.js';
import { type Served, serveDashboard } from './serve.js';

const INTERVAL_MS = 100;

let server: RedisServer;
let redis: Redis;
let stats: Redis;
let lockstep: Lockstep;
const leases: Lease[] = [];
const open: { clients: EventClient[]; served: Served[] } = { clients: [], served: [] };

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis({ port: server.port, lazyConnect: true });
  stats = new Redis({ port: server.port, lazyConnect: true });
  lockstep = new Lockstep({ redis, prefix: uniquePrefix('dash-stream') });
  leases.push(await lockstep.lock('a', { ttlMs: 120_000 }).acquire());
});

afterEach(async () => {
  for (const client of open.clients.splice(0)) client.close();
  for (const s of open.served.splice(0)) await s.close();
  await delay(INTERVAL_MS * 3);
});

afterAll(async () => {
  for (const lease of leases) await lease.release();
  await lockstep?.close();
  redis?.disconnect();
  stats?.disconnect();
  await server?.stop();
});

async function serve(before?: RequestHandler, options: Partial<DashboardOptions> = {}): Promise<Served> {
  const s = await serveDashboard({ lockstep, intervalMs: INTERVAL_MS, ...options } as DashboardOptions, before);
  open.served.push(s);
  return s;
}

function viewer(url: string): EventClient {
  const client = openEvents(url);
  open.clients.push(client);
  return client;
}

function connections(s: Served): Promise<number> {
  return new Promise((resolve, reject) => s.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/**
 * A viewer that connects and then stops reading (a stuck client, a peer gone without a word):
 * `response` is the server's side of it once the dashboard has it.
 */
async function stuckViewer(
  s: Served,
): Promise<{ socket: Socket; response: () => ServerResponse | undefined; received: () => string }> {
  const socket = connect(Number(new URL(s.url).port), '127.0.0.1');
  socket.on('error', () => undefined);
  socket.pause();
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  socket.pause(); // attaching 'data' resumed it
  socket.write(`GET ${new URL(s.url).pathname}api/events?viewer=stuck HTTP/1.1\r\nHost: x\r\n\r\n`);
  return { socket, response: () => stuckResponse, received: () => received };
}

let stuckResponse: ServerResponse | undefined;
/** Host middleware that hands the test the server's response to the stuck viewer. */
const watchStuck: RequestHandler = (req, res, next) => {
  if (req.url?.includes('viewer=stuck')) stuckResponse = res;
  next();
};

/** Commands the dashboard sent Redis over `ms` from now (everything but this test's INFO/CONFIG). */
async function commandsOver(ms: number): Promise<number> {
  await stats.config('RESETSTAT');
  await delay(ms);
  const info = await stats.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (m[1] !== 'info' && !m[1]?.startsWith('config')) calls += Number(m[2]);
  }
  return calls;
}

describe('the event stream of one viewer', () => {
  // Node emits 'close' on a request as soon as its (empty) body has been read, while the response
  // is still open: a host that reads every request must not make the dashboard drop its viewer.
  const readsTheRequest: [string, RequestHandler][] = [
    [
      'resumes the request, then calls next()',
      (req, _res, next) => {
        req.resume();
        next();
      },
    ],
    [
      'reads the request to its end (a body-verifying middleware), then calls next()',
      (req, _res, next) => {
        req.on('data', () => undefined);
        req.on('end', () => setImmediate(next));
      },
    ],
  ];
  it.each(readsTheRequest)('streams to a host that %s; the poll stops when the viewer leaves', async (_, before) => {
    const s = await serve(before);
    const page = viewer(`${s.url}api/events?kind=lock&name=a`);
    await eventually(() => page.updates.length >= 3, 10_000);
    expect(page.status()).toBe(200);
    expect(page.updates.at(-1)?.selected?.detail?.holderList[0]?.fence).toBe(leases[0]?.fence);
    page.close();
    await delay(INTERVAL_MS * 3);
    expect(await commandsOver(INTERVAL_MS * 5)).toBe(0);
  });

  it('answers HEAD api/events with the stream headers at once, and polls nothing for it', async () => {
    const s = await serve();
    const controller = new AbortController();
    const head = fetch(`${s.url}api/events?kind=lock&name=a`, { method: 'HEAD', signal: controller.signal });
    const late = delay(3_000).then(() => 'no answer in 3 s');
    try {
      const response = await Promise.race([head, late]);
      expect(response).toBeInstanceOf(Response);
      expect((response as Response).status).toBe(200);
      expect((response as Response).headers.get('content-type')).toContain('text/event-stream');
      expect(await commandsOver(INTERVAL_MS * 5)).toBe(0);
    } finally {
      controller.abort();
    }
  });

  it('keeps only the latest update for a viewer that stopped reading, and the others get theirs', async () => {
    // Big updates (400 names of 480 characters, about 220 kB each), so the socket buffers fill soon.
    const big = new Lockstep({ redis, prefix: uniquePrefix('dash-big') });
    const held = await Promise.all(
      Array.from({ length: 400 }, (_, i) => big.lock(`${'x'.repeat(480)}${i}`, { ttlMs: 120_000 }).acquire()),
    );
    try {
      const s = await serveDashboard({ lockstep: big, intervalMs: INTERVAL_MS }, watchStuck);
      open.served.push(s);
      const stuck = await stuckViewer(s);
      const reader = viewer(`${s.url}api/events`);
      // Once the kernel's buffers are full, whatever the server still has to send waits in its memory.
      await eventually(() => (stuck.response()?.writableLength ?? 0) > 0, 60_000);
      const start = reader.updates.length;
      await eventually(() => reader.updates.length >= start + 10, 30_000);
      const eventBytes = Buffer.byteLength(JSON.stringify(reader.updates.at(-1))) + 100;
      expect(stuck.response()?.writableLength).toBeLessThanOrEqual(2 * eventBytes);
      // Reading again, it catches up with the latest update, not with a backlog.
      const latest = reader.updates.at(-1)?.at ?? 0;
      stuck.socket.resume();
      const lastAt = () => {
        const updates = [...stuck.received().matchAll(/event: update\ndata: (.*)\n\n/g)];
        const data = updates.at(-1)?.[1];
        return data === undefined ? 0 : (JSON.parse(data) as { at: number }).at;
      };
      await eventually(() => lastAt() >= latest, 20_000);
      stuck.socket.destroy();
    } finally {
      await Promise.all(held.map((lease) => lease.release()));
      await big.close();
    }
  });

  it('server.close() completes with a viewer that stopped reading', async () => {
    const s = await serve(watchStuck);
    const stuck = await stuckViewer(s);
    const page = viewer(`${s.url}api/events?kind=lock&name=a`);
    await eventually(() => page.updates.length >= 2 && stuck.response()?.headersSent === true, 10_000);
    const closed = new Promise<string>((resolve) => s.server.close(() => resolve('closed')));
    const late = delay(5_000).then(() => 'server.close() still waiting after 5 s');
    expect(await Promise.race([closed, late])).toBe('closed');
    await page.ended;
    stuck.socket.destroy();
  });

  it('ends a stream whose headers the host already sent, without an unhandled rejection; others stream on', async () => {
    // Stands for a host that answered on its own (a timeout middleware) just before the first update.
    const s = await serve((req, res, next) => {
      if (req.url?.includes('host-answered')) res.flushHeaders();
      next();
    });
    const answered = viewer(`${s.url}api/events?kind=lock&name=a&host-answered`);
    const page = viewer(`${s.url}api/events?kind=lock&name=a`);
    const late = delay(5_000).then(() => 'still open after 5 s');
    expect(await Promise.race([answered.ended.then(() => 'ended'), late])).toBe('ended');
    expect(answered.updates).toEqual([]);
    const seen = page.updates.length;
    await eventually(() => page.updates.length >= seen + 3, 10_000);
  });

  it('server.close() completes within about intervalMs while Redis does not answer', async () => {
    const own = await startRedisServer();
    const client = new Redis({ port: own.port });
    const pauser = new Redis({ port: own.port });
    try {
      // Replies may take 20 s before they count as an outage: the streams must not wait for that.
      const admin = new LockstepAdmin({ redis: client, prefix: uniquePrefix('dash-hang'), requestTimeoutMs: 20_000 });
      const s = await serve(undefined, { lockstep: undefined, admin, intervalMs: 200 });
      const live = viewer(`${s.url}api/events`);
      await eventually(() => live.updates.length >= 1, 10_000);
      await pauser.call('CLIENT', 'PAUSE', '30000', 'ALL');
      await delay(300); // a tick is waiting on Redis now
      const waiting = viewer(`${s.url}api/events?kind=lock&name=a`); // its first update waits too
      await delay(300);
      const closed = new Promise<string>((resolve) => s.server.close(() => resolve('closed')));
      const late = delay(5_000).then(() => 'server.close() still waiting after 5 s');
      expect(await Promise.race([closed, late])).toBe('closed');
      await Promise.all([live.ended, waiting.ended]);
      expect(waiting.status()).toBe(200); // an EventSource retries a 200 that ends, not an error
    } finally {
      client.disconnect();
      pauser.disconnect();
      await own.kill(); // paused, it would not take a SHUTDOWN either
    }
  });

  it('600 viewers that connect and leave at random moments, 30 at a time, leave no poll running', async () => {
    const s = await serve();
    const paths = ['api/events', 'api/events?kind=lock&name=a', 'api/events?kind=semaphore&name=none'];
    let started = 0;
    const churn = async () => {
      while (started < 600) {
        const c = openEvents(`${s.url}${paths[started++ % paths.length]}`);
        await delay(Math.random() * INTERVAL_MS * 2); // before, during and after the first update
        c.close();
      }
    };
    await Promise.all(Array.from({ length: 30 }, churn));
    // The server (in this same process) may still be accepting connections the clients have closed.
    await eventually(async () => (await connections(s)) === 0, 20_000);
    await delay(INTERVAL_MS * 3);
    expect(await commandsOver(INTERVAL_MS * 5)).toBe(0);
    const after = viewer(`${s.url}api/events?kind=lock&name=a`);
    await eventually(() => after.updates.length >= 3, 10_000);
  });
});
