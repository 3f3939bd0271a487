// The dashboard's Redis cost does not grow with its viewers: every open page of one dashboard shares
// one poll. Counted with INFO commandstats on a private redis-server that nothing else uses.
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { delay, eventually } from '../../../test/support/fixtures.js';
import { type Lease, Lockstep, LockstepAdmin } from '../../core/src/index.js';
import type { DashboardOptions } from '../src/index.js';
import { type PollResult, SharedPoll } from '../src/shared-poll.js';
import { type EventClient, openEvents } from './event-client.js';
import { type Served, serveDashboard } from './serve.js';

const LOCK_A = 'api/events?kind=lock&name=a';
const SEM_S = 'api/events?kind=semaphore&name=s';

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
  // Long TTLs and no auto-extension: the holders send nothing while commands are counted.
  lockstep = new Lockstep({ redis, prefix: uniquePrefix('dash-poll') });
  leases.push(await lockstep.lock('a', { ttlMs: 120_000 }).acquire());
  leases.push(await lockstep.lock('b', { ttlMs: 120_000 }).acquire());
  leases.push(await lockstep.semaphore('s', { limit: 3, ttlMs: 120_000 }).acquire());
});

// Each test ends its viewers and apps, so the next one counts only its own commands.
afterEach(async () => {
  for (const client of open.clients.splice(0)) client.close();
  for (const s of open.served.splice(0)) await s.close();
  await delay(INTERVAL_MS * 2);
});

afterAll(async () => {
  for (const lease of leases) await lease.release();
  await lockstep?.close();
  redis?.disconnect();
  stats?.disconnect();
  await server?.stop();
});

async function serve(options: Partial<DashboardOptions> = {}): Promise<Served> {
  const s = await serveDashboard({ lockstep, ...options } as DashboardOptions);
  open.served.push(s);
  return s;
}

function viewer(url: string): EventClient {
  const client = openEvents(url);
  open.clients.push(client);
  return client;
}

/** Calls per command since the last {@link resetStats}, from INFO commandstats. */
async function commandStats(): Promise<Record<string, number>> {
  const info = await stats.info('commandstats');
  const calls: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1] as string] = Number(m[2]);
  return calls;
}

async function resetStats(): Promise<void> {
  await stats.config('RESETSTAT');
}

/** Commands of the dashboard: everything but this test's INFO/CONFIG. */
function dashboardCommands(calls: Record<string, number>): number {
  return Object.entries(calls).reduce(
    (sum, [name, n]) => (name === 'info' || name.startsWith('config') ? sum : sum + n),
    0,
  );
}

const INTERVAL_MS = 200;
const INTERVALS = 10;

/**
 * `viewers` streams, the i-th of `selections[i % length]`; commands per update of the first one
 * (one update an interval) over {@link INTERVALS} updates.
 */
async function measure(
  viewers: number,
  selections: readonly string[] = [LOCK_A],
): Promise<{ scan: number; evalsha: number; total: number }> {
  const s = await serve({ intervalMs: INTERVAL_MS });
  const clients = Array.from({ length: viewers }, (_, i) => viewer(`${s.url}${selections[i % selections.length]}`));
  await eventually(() => clients.every((c) => c.updates.length >= 1), 20_000);
  await resetStats();
  const first = clients[0] as EventClient;
  const start = first.updates.length;
  await eventually(() => first.updates.length >= start + INTERVALS, 30_000);
  const calls = await commandStats();
  const updates = first.updates.length - start;
  for (const c of clients) c.close();
  await s.close();
  return {
    scan: (calls.scan ?? 0) / updates,
    evalsha: (calls.evalsha ?? 0) / updates,
    total: dashboardCommands(calls) / updates,
  };
}

describe('one shared poll per dashboard', () => {
  it('20 viewers of the same name cost Redis what 1 viewer costs (SCAN, list and detail scripts)', async () => {
    const one = await measure(1);
    const twenty = await measure(20);
    console.log(`commands per interval: 1 viewer ${JSON.stringify(one)}; 20 viewers ${JSON.stringify(twenty)}`);
    // One SCAN per interval (a tick in flight at the end of the window may add one).
    expect(one.scan).toBeLessThanOrEqual(1.2);
    expect(twenty.scan).toBeLessThanOrEqual(1.2);
    // Three names listed (one script each) plus the selected lock's inspect: 4 scripts an interval.
    expect(twenty.evalsha).toBeLessThanOrEqual(one.evalsha * 1.2 + 0.5);
    expect(twenty.total).toBeLessThanOrEqual(one.total * 1.2 + 2);
  });

  it('20 viewers split over two names read each name once an interval, with one list', async () => {
    const split = await measure(20, [LOCK_A, SEM_S]);
    console.log(`commands per interval: 20 viewers of two names ${JSON.stringify(split)}`);
    expect(split.scan).toBeLessThanOrEqual(1.2);
    // Three list scripts, the lock's inspect and the semaphore's: 5 scripts an interval.
    expect(split.evalsha).toBeLessThanOrEqual(5 * 1.2);
  });

  it('viewers with different selections each get their own selected detail, from the same list', async () => {
    const s = await serve({ intervalMs: INTERVAL_MS });
    const [lock, sem, none] = [viewer(`${s.url}${LOCK_A}`), viewer(`${s.url}${SEM_S}`), viewer(`${s.url}api/events`)];
    await eventually(() => [lock, sem, none].every((c) => c.updates.length >= 4), 20_000);
    const names = (c: EventClient) => c.updates.map((u) => u.names.map((n) => `${n.kind}:${n.name}`).join(','));
    for (const c of [lock, sem, none]) expect(new Set(names(c))).toEqual(new Set(['lock:a,lock:b,semaphore:s']));
    expect(new Set(lock.updates.map((u) => `${u.selected?.detail?.kind}:${u.selected?.detail?.name}`))).toEqual(
      new Set(['lock:a']),
    );
    expect(lock.updates.at(-1)?.selected?.detail?.holderList[0]?.fence).toBe(leases[0]?.fence);
    expect(new Set(sem.updates.map((u) => `${u.selected?.detail?.kind}:${u.selected?.detail?.name}`))).toEqual(
      new Set(['semaphore:s']),
    );
    expect(sem.updates.at(-1)?.selected?.detail?.holderList[0]?.fence).toBe(leases[2]?.fence);
    expect(new Set(none.updates.map((u) => u.selected))).toEqual(new Set([null]));
  });

  it('a viewer joining an open dashboard gets its first update at once, from the shared poll', async () => {
    // A long interval: a first update within 3 s can only come from the join, not from a tick.
    const s = await serve({ intervalMs: 10_000 });
    const first = viewer(`${s.url}${LOCK_A}`);
    await eventually(() => first.updates.length === 1, 5_000);
    await resetStats();
    const same = viewer(`${s.url}${LOCK_A}`);
    await eventually(() => same.updates.length === 1, 3_000);
    expect(same.updates[0]).toEqual(first.updates[0]);
    expect(await commandStats()).not.toHaveProperty('scan');
    // A new selection reads its own detail at once, with the list of the current interval.
    const other = viewer(`${s.url}${SEM_S}`);
    await eventually(() => other.updates.length === 1, 3_000);
    expect(other.updates[0]?.selected?.detail?.name).toBe('s');
    expect(other.updates[0]?.names).toEqual(first.updates[0]?.names);
    const calls = await commandStats();
    expect(calls).not.toHaveProperty('scan');
    expect(calls.evalsha).toBe(1); // the semaphore's inspect script
  });

  it('api/snapshot reuses the open pages’ snapshot of the same selection, and reads Redis itself otherwise', async () => {
    const s = await serve({ intervalMs: 10_000 });
    const page = viewer(`${s.url}${LOCK_A}`);
    await eventually(() => page.updates.length === 1, 5_000);
    await resetStats();
    const shared = await (await fetch(`${s.url}api/snapshot?kind=lock&name=a`)).json();
    expect(shared).toEqual(page.updates[0]);
    expect(await commandStats()).not.toHaveProperty('scan');
    page.close();
    const idle = await serve({ intervalMs: 10_000 });
    for (let i = 1; i <= 2; i++) {
      expect((await fetch(`${idle.url}api/snapshot?kind=lock&name=a`)).status).toBe(200);
      expect((await commandStats()).scan).toBe(i);
    }
  });

  it('concurrent api/snapshot requests with no page open share one read of Redis', async () => {
    let arrived = 0;
    const idle = await serveDashboard({ lockstep, intervalMs: 10_000 }, (_req, _res, next) => {
      arrived += 1;
      next();
    });
    open.served.push(idle);
    await resetStats();
    // Redis holds the first read's SCAN until every request has arrived: all 20 find it in flight.
    server.pause();
    let statuses: Promise<number[]>;
    try {
      statuses = Promise.all(
        Array.from({ length: 20 }, () => fetch(`${idle.url}api/snapshot?kind=lock&name=a`).then((r) => r.status)),
      );
      await eventually(() => arrived === 20, 10_000);
    } finally {
      server.resume();
    }
    expect(await statuses).toEqual(Array(20).fill(200));
    expect((await commandStats()).scan).toBe(1);
  });

  it('stops polling when the last viewer leaves, and starts again for the next one', async () => {
    const s = await serve({ intervalMs: INTERVAL_MS });
    const clients = [viewer(`${s.url}${LOCK_A}`), viewer(`${s.url}${SEM_S}`), viewer(`${s.url}api/events`)];
    await eventually(() => clients.every((c) => c.updates.length >= 2), 20_000);
    for (const c of clients) c.close();
    await delay(INTERVAL_MS * 3); // a tick in flight when they left ends
    await resetStats();
    await delay(INTERVAL_MS * 5);
    expect(dashboardCommands(await commandStats())).toBe(0);
    const again = viewer(`${s.url}${LOCK_A}`);
    await eventually(() => again.updates.length >= 2, 20_000);
    expect((await commandStats()).scan).toBeGreaterThanOrEqual(2);
  });

  it('server.close() completes with 20 open streams, and polling stops with them', async () => {
    const s = await serve({ intervalMs: INTERVAL_MS });
    const clients = Array.from({ length: 20 }, (_, i) => viewer(`${s.url}${i % 2 ? LOCK_A : SEM_S}`));
    await eventually(() => clients.every((c) => c.updates.length >= 1), 20_000);
    const closed = new Promise<string>((resolve) => s.server.close(() => resolve('closed')));
    const late = new Promise<string>((resolve) => setTimeout(resolve, 3_000, 'server.close() still waiting'));
    const outcome = await Promise.race([closed, late]);
    if (outcome !== 'closed') s.server.closeAllConnections();
    expect(outcome).toBe('closed');
    await Promise.all(clients.map((c) => c.ended));
    await delay(INTERVAL_MS * 3);
    await resetStats();
    await delay(INTERVAL_MS * 5);
    expect(dashboardCommands(await commandStats())).toBe(0);
  });

  it('a viewer whose listener throws is dropped; the viewers after it keep their updates', async () => {
    const poll = new SharedPoll(lockstep.admin(), INTERVAL_MS);
    let thrown = 0;
    const results: PollResult[] = [];
    poll.join({ kind: 'lock', name: 'a' }, () => {
      thrown += 1;
      throw new Error('a broken viewer');
    });
    const leave = poll.join({ kind: 'lock', name: 'a' }, (result) => results.push(result));
    await eventually(() => results.length >= 4, 10_000);
    expect(thrown).toBe(1);
    expect(results.every((r) => r.ok)).toBe(true);
    leave();
    await delay(INTERVAL_MS * 3);
    await resetStats();
    await delay(INTERVAL_MS * 5);
    expect(dashboardCommands(await commandStats())).toBe(0);
  });

  it('a Redis outage during the shared poll reaches every viewer as a failure event; they recover', async () => {
    const own = await startRedisServer();
    const client = new Redis({ port: own.port });
    client.on('error', () => undefined); // refused connections while it is down
    try {
      const prefix = uniquePrefix('dash-outage');
      const mine = new Lockstep({ redis: client, prefix });
      await mine.lock('a', { ttlMs: 120_000 }).acquire();
      const admin = new LockstepAdmin({ redis: client, prefix, requestTimeoutMs: 300 });
      const s = await serve({ lockstep: undefined, admin, intervalMs: INTERVAL_MS });
      const clients = [viewer(`${s.url}${LOCK_A}`), viewer(`${s.url}${LOCK_A}`), viewer(`${s.url}api/events`)];
      await eventually(() => clients.every((c) => c.updates.length >= 1), 20_000);
      expect(clients[0]?.updates[0]?.selected?.detail?.holders).toBe(1);
      await own.kill();
      await eventually(() => clients.every((c) => c.failures.length >= 2), 20_000);
      for (const c of clients) expect(c.failures[0]).toMatchObject({ code: 'ERR_REDIS' });
      await own.restart();
      const before = clients.map((c) => c.updates.length);
      // The keys are gone with the restart (no persistence): the next updates list nothing.
      await eventually(() => clients.every((c, i) => c.updates.length > (before[i] as number)), 20_000);
      expect(clients[0]?.updates.at(-1)).toMatchObject({ names: [], selected: { detail: null } });
      await mine.close();
    } finally {
      client.disconnect();
      await own.stop();
    }
  });
});
