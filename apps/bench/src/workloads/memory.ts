// Memory: Redis used_memory per held lock (every library), per semaphore holder (every library with
// a semaphore) and per parked waiter (Lockstep and its baseline; the peers keep no waiters in Redis,
// they poll).
import { setMaxListeners } from 'node:events';
import { SEM_LIMIT, TTL_MS } from '../config.js';
import { type BenchContext, flushAll } from '../context.js';
import { closeClients, openClients } from '../infra/clients.js';
import { type CoreBuild, coreBuilds } from '../libraries/baseline.js';
import type { Acquirer, Held, LibraryRow } from '../libraries/library.js';
import type { RowResult } from '../results.js';

const CONCURRENCY = 256;

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
}

type HeldShape = 'lock' | 'semaphore';

/**
 * Holds `count` locks on distinct names at once, or `count` semaphore permits on names of limit
 * SEM_LIMIT (each name full), and measures the memory they take.
 */
async function held(ctx: BenchContext, row: LibraryRow, count: number, shape: HeldShape): Promise<RowResult> {
  const servers = ctx.single;
  const stats = servers.stats[0];
  if (!stats) throw new Error('no server');
  await flushAll(servers);
  const clients = await openClients(servers.urls);
  const library = row.create(clients);
  const holds: Held[] = [];
  const target = (name: string): Acquirer => {
    if (shape === 'lock') return library.mutex(name);
    if (!library.semaphore) throw new Error(`${row.id} has no semaphore`);
    return library.semaphore(name, SEM_LIMIT);
  };
  // Semaphores: SEM_LIMIT holders share each name.
  const nameOf = (i: number) => `bench:mem:${shape}:${row.id}:${shape === 'lock' ? i : Math.floor(i / SEM_LIMIT)}`;
  try {
    // Warm the library up (script loading) before the baseline.
    await (await target('bench:mem:warm').acquire()).release();
    await settle();
    const before = await stats.usedMemory();
    const keysBefore = await stats.dbsize();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const i = next++;
          holds.push(await target(nameOf(i)).acquire());
        }
      }),
    );
    const fillMs = performance.now() - started;
    await settle();
    const after = await stats.usedMemory();
    const keys = (await stats.dbsize()) - keysBefore;
    const what = shape === 'lock' ? 'held lock' : 'semaphore holder';
    ctx.log(`  memory ${row.id}: ${((after - before) / count).toFixed(0)} B per ${what} (${keys / count} keys each)`);
    return {
      workload: shape === 'lock' ? 'memory-locks' : 'memory-holders',
      rowId: row.id,
      library: row.library,
      variant: row.variant,
      setting:
        shape === 'lock'
          ? `${count.toLocaleString('en-US')} locks held at once, ttl ${TTL_MS} ms`
          : `${count.toLocaleString('en-US')} permits held at once, ${SEM_LIMIT} per name (limit ${SEM_LIMIT}), ttl ${TTL_MS} ms`,
      kind: row.kind,
      median: { bytesPerOp: (after - before) / count, keysPerOp: keys / count, held: count, fillMs },
      rounds: [],
    };
  } finally {
    // Release everything (redis-semaphore's refresh timers stop only on release).
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < holds.length) {
          const h = holds[next++] as Held;
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
async function parkedWaiters(
  ctx: BenchContext,
  build: CoreBuild,
  shape: 'lock' | 'semaphore',
  count: number,
): Promise<RowResult> {
  const servers = ctx.single;
  const stats = servers.stats[0];
  if (!stats) throw new Error('no server');
  await flushAll(servers);
  const clients = await openClients(servers.urls);
  const lockstep = new build.core.Lockstep({ redis: clients[0] as NonNullable<(typeof clients)[0]> });
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
    ctx.log(
      `  memory waiters ${build.rowId} ${shape}: ${((after - before) / (count - 1)).toFixed(0)} B per parked waiter`,
    );
    return {
      workload: 'memory-waiters',
      rowId: build.rowId,
      library: build.library,
      variant: 'default',
      setting: `${count.toLocaleString('en-US')} waiters parked on one ${shape}`,
      kind: build.kind,
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

/** Rows of each shape: `locks` hold mutexes, `semaphores` hold permits (both filtered by `--libs`). */
export async function memory(
  ctx: BenchContext,
  locks: readonly LibraryRow[],
  semaphores: readonly LibraryRow[],
): Promise<RowResult[]> {
  const out: RowResult[] = [];
  const libs = ctx.libs;
  const chosen = (rows: readonly LibraryRow[]) =>
    libs ? rows.filter((r) => libs.has(r.id) || libs.has(r.id.split(':')[0] as string)) : rows;
  const count = (row: LibraryRow) => (row.kind === 'peer' ? ctx.profile.memoryPeerLocks : ctx.profile.memoryLocks);
  for (const row of chosen(locks)) out.push(await held(ctx, row, count(row), 'lock'));
  // Bytes per permit do not depend on the count: the smaller count for every semaphore row.
  for (const row of chosen(semaphores)) out.push(await held(ctx, row, ctx.profile.memoryPeerLocks, 'semaphore'));
  for (const build of coreBuilds(libs)) {
    out.push(await parkedWaiters(ctx, build, 'lock', ctx.profile.memoryWaiters));
    out.push(await parkedWaiters(ctx, build, 'semaphore', ctx.profile.memoryWaiters));
  }
  return out;
}
