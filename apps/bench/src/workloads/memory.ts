// Memory: Redis used_memory per held lock (every library) and per parked waiter (Lockstep; the
// peers keep no waiters in Redis, they poll).
import { setMaxListeners } from 'node:events';
import { Lockstep } from '@lockstep/core';
import { TTL_MS } from '../config.js';
import { type BenchContext, flushAll } from '../context.js';
import { closeClients, openClients } from '../infra/clients.js';
import type { Held, LibraryRow } from '../libraries/library.js';
import type { RowResult } from '../results.js';

const CONCURRENCY = 256;

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Holds `count` locks on distinct names at once and measures the memory they take. */
async function heldLocks(ctx: BenchContext, row: LibraryRow, count: number): Promise<RowResult> {
  const servers = ctx.single;
  const stats = servers.stats[0];
  if (!stats) throw new Error('no server');
  await flushAll(servers);
  const clients = await openClients(servers.urls);
  const library = row.create(clients);
  const held: Held[] = [];
  try {
    // Warm the library up (script loading) before the baseline.
    await (await library.mutex('bench:mem:warm').acquire()).release();
    await settle();
    const before = await stats.usedMemory();
    const keysBefore = await stats.dbsize();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const i = next++;
          held.push(await library.mutex(`bench:mem:${row.id}:${i}`).acquire());
        }
      }),
    );
    const fillMs = performance.now() - started;
    await settle();
    const after = await stats.usedMemory();
    const keys = (await stats.dbsize()) - keysBefore;
    ctx.log(`  memory ${row.id}: ${((after - before) / count).toFixed(0)} B per held lock (${keys / count} keys each)`);
    return {
      workload: 'memory-locks',
      rowId: row.id,
      library: row.library,
      variant: row.variant,
      setting: `${count.toLocaleString('en-US')} locks held at once, ttl ${TTL_MS} ms`,
      kind: row.kind,
      median: { bytesPerOp: (after - before) / count, keysPerOp: keys / count, held: count, fillMs },
      rounds: [],
    };
  } finally {
    // Release everything (redis-semaphore's refresh timers stop only on release).
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < held.length) {
          const h = held[next++] as Held;
          await h.release().catch(() => undefined);
        }
      }),
    );
    await library.close();
    await closeClients(clients);
    await flushAll(servers);
  }
}

/** Parks `count` waiters behind one holder of a Lockstep lock or semaphore and measures their memory. */
async function parkedWaiters(ctx: BenchContext, shape: 'lock' | 'semaphore', count: number): Promise<RowResult> {
  const servers = ctx.single;
  const stats = servers.stats[0];
  if (!stats) throw new Error('no server');
  await flushAll(servers);
  const clients = await openClients(servers.urls);
  const lockstep = new Lockstep({ redis: clients[0] as NonNullable<(typeof clients)[0]> });
  const name = `bench:mem:park:${shape}`;
  const target =
    shape === 'lock'
      ? lockstep.lock(name, { ttlMs: 60_000, maxWaiters: count + 10 })
      : lockstep.semaphore(name, { limit: 1, ttlMs: 60_000, maxWaiters: count + 10 });
  const controller = new AbortController();
  // One signal serves thousands of waits on purpose.
  setMaxListeners(0, controller.signal);
  const waits: Promise<unknown>[] = [];
  try {
    const holder = await target.acquire();
    // One waiter first, so the subscriber connection and the queue keys exist in the baseline.
    waits.push(target.acquire({ waitMs: 120_000, signal: controller.signal }).catch(() => undefined));
    while ((await target.inspect()).waiting < 1) await settle();
    await settle();
    const before = await stats.usedMemory();
    const keysBefore = await stats.dbsize();
    const started = performance.now();
    for (let i = 1; i < count; i++) {
      waits.push(target.acquire({ waitMs: 120_000, signal: controller.signal }).catch(() => undefined));
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (let i = 0; i < 2_400 && (await target.inspect()).waiting < count; i++) await settle();
    const fillMs = performance.now() - started;
    await settle();
    const after = await stats.usedMemory();
    const keys = (await stats.dbsize()) - keysBefore;
    const parked = (await target.inspect()).waiting;
    controller.abort();
    await Promise.all(waits);
    await holder.release();
    ctx.log(`  memory waiters ${shape}: ${((after - before) / (count - 1)).toFixed(0)} B per parked waiter`);
    return {
      workload: 'memory-waiters',
      rowId: 'lockstep',
      library: 'Lockstep',
      variant: 'default',
      setting: `${count.toLocaleString('en-US')} waiters parked on one ${shape}`,
      kind: 'lockstep',
      median: { bytesPerOp: (after - before) / (count - 1), keysAdded: keys, parked, fillMs },
      rounds: [],
    };
  } finally {
    controller.abort();
    await Promise.all(waits);
    await lockstep.close();
    await closeClients(clients);
    await flushAll(servers);
  }
}

export async function memory(ctx: BenchContext, rows: readonly LibraryRow[]): Promise<RowResult[]> {
  const out: RowResult[] = [];
  for (const row of rows) {
    const count = row.kind === 'peer' ? ctx.profile.memoryPeerLocks : ctx.profile.memoryLocks;
    out.push(await heldLocks(ctx, row, count));
  }
  out.push(await parkedWaiters(ctx, 'lock', ctx.profile.memoryWaiters));
  out.push(await parkedWaiters(ctx, 'semaphore', ctx.profile.memoryWaiters));
  return out;
}
