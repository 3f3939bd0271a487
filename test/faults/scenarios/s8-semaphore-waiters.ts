// Scenario 8: semaphore waiters killed while queued are purged and never granted, and a waiter killed
// just before its turn (lock or semaphore, default settings) only ever gets a claim that passes on;
// acquisitions aborted while grants race them lose no permit.
import { uniquePrefix } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { Lockstep } from '../../../packages/core/src/index.js';
import { hostNow } from '../../support/history.js';
import { auditKeys, longestKeyTtl } from '../key-audit.js';
import type { LoadConfig } from '../worker/protocol.js';
import type { WorkerProcess } from '../worker/worker-process.js';
import type { ScenarioRun } from './scenario-run.js';
import { ownServer } from './servers.js';
import { sleep } from './util.js';

const WAITER_TTL_MS = 1_000;
const LIMIT = 2;

/** Waiters killed in the queue, then the permits released: only the live waiter behind them gets them. */
async function deadWaiters(run: ScenarioRun, lockstep: Lockstep, port: number, prefix: string): Promise<void> {
  const target = { kind: 'standalone', ports: [port] } as const;
  const extra = { waiterTtlMs: WAITER_TTL_MS };
  const [holder, live] = await Promise.all([run.puppet(target, prefix, extra), run.puppet(target, prefix, extra)]);
  for (let r = 0; r < run.pick(2, 4); r++) {
    const name = `dead-waiters-${r}`;
    const acquire = { op: 'acquire', mode: 'semaphore', name, ttlMs: 10_000, limit: LIMIT } as const;
    const held = await holder.request({ ...acquire, waitMs: 1_000, weight: LIMIT });
    run.expect(held.ok, 'setup', `holder could not acquire ${name}`);
    const doomed: WorkerProcess[] = await Promise.all(
      Array.from({ length: run.pick(3, 5) }, () => run.puppet(target, prefix, extra)),
    );
    for (const w of doomed) void w.request({ ...acquire, waitMs: 60_000, weight: 1 });
    await sleep(500);
    for (const w of doomed) {
      w.kill();
      run.fault('kill-client');
    }
    // Their queue entries die with their heartbeat deadline; then a live waiter queues behind them.
    await sleep(WAITER_TTL_MS + 300);
    const waiting = live.request({ ...acquire, waitMs: 10_000, weight: LIMIT });
    await sleep(200);
    const releasedAt = hostNow();
    await holder.request({ op: 'release', id: held.id as string });
    const got = await waiting;
    run.expect(got.ok, 'dead-waiter-granted', `the live waiter did not get ${name}: ${got.code}`);
    if (!got.ok) continue;
    // A grant to a dead waiter would keep a permit for a 10 s TTL: the live one (weight 2) would wait.
    run.metric('handOffMs', got.t - releasedAt);
    run.expect(
      got.t - releasedAt < 2_000,
      'dead-waiter-granted',
      `hand-off took ${(got.t - releasedAt).toFixed(0)} ms`,
    );
    const state = await lockstep.semaphore(name, { limit: LIMIT }).inspect();
    run.expect(
      state.holders.length === 1 && state.used === LIMIT,
      'dead-waiter-granted',
      `holders ${state.holders.length}, used ${state.used}`,
    );
    await live.request({ op: 'release', id: got.id as string });
  }
  await Promise.all([holder.stop(), live.stop()]);
}

/**
 * A waiter killed just before the release, while its heartbeat deadline has not passed: nobody can
 * know it is dead yet, so it is handed a claim that lapses. Measured, and asserted bounded by one
 * TTL: what it costs the live waiter behind it.
 */
async function freshlyDeadWaiter(run: ScenarioRun, port: number, prefix: string): Promise<void> {
  const target = { kind: 'standalone', ports: [port] } as const;
  const extra = { waiterTtlMs: WAITER_TTL_MS };
  const ttlMs = 3_000;
  const [holder, live, doomed] = (await Promise.all([0, 1, 2].map(() => run.puppet(target, prefix, extra)))) as [
    WorkerProcess,
    WorkerProcess,
    WorkerProcess,
  ];
  const acquire = { op: 'acquire', mode: 'semaphore', name: 'fresh-dead', ttlMs, limit: LIMIT, weight: LIMIT } as const;
  const held = await holder.request({ ...acquire, waitMs: 1_000 });
  void doomed.request({ ...acquire, waitMs: 60_000 });
  await sleep(300);
  doomed.kill();
  run.fault('kill-client');
  const waiting = live.request({ ...acquire, waitMs: 2 * ttlMs });
  await sleep(100);
  const releasedAt = hostNow();
  await holder.request({ op: 'release', id: held.id as string });
  const got = await waiting;
  run.expect(got.ok, 'stall', `the live waiter behind a freshly dead one never got the permits: ${got.code}`);
  if (got.ok) {
    const cost = got.t - releasedAt;
    run.metric('freshlyDeadWaiterCostMs', cost);
    run.expect(cost <= ttlMs + 1_000, 'stall', `a freshly dead waiter cost ${cost.toFixed(0)} ms, more than a TTL`);
    run.note(
      `a waiter killed ~100 ms before the release (heartbeat window ${WAITER_TTL_MS} ms) was handed a claim; the live one behind it waited ${cost.toFixed(0)} ms (TTL ${ttlMs})`,
    );
    await live.request({ op: 'release', id: got.id as string });
  }
  await Promise.all([holder.stop(), live.stop()]);
}

/**
 * At default settings (waiter TTL 10 s, lease TTL 10 s): a waiter queued ahead of a live one is
 * killed -9 and the permits are released at once, while its heartbeat deadline is seconds away.
 * The grant it receives is only a claim, so the permits reach the live waiter within about one
 * claim window (1 s). Measured from the kill to the live waiter's grant.
 */
async function deadWaiterAtDefaults(run: ScenarioRun, lockstep: Lockstep, port: number, prefix: string): Promise<void> {
  const target = { kind: 'standalone', ports: [port] } as const;
  const [holder, live] = await Promise.all([run.puppet(target, prefix), run.puppet(target, prefix)]);
  const ttlMs = 10_000;
  for (let r = 0; r < run.pick(3, 8); r++) {
    const mode = r % 2 === 0 ? 'semaphore' : 'lock';
    const name = `dead-default-${r}`;
    const acquire = { op: 'acquire', mode, name, ttlMs, limit: 1, weight: 1 } as const;
    const inspect = async () =>
      mode === 'lock'
        ? (await lockstep.lock(name).inspect()).waiters.length
        : (await lockstep.semaphore(name, { limit: 1 }).inspect()).waiters.length;
    const held = await holder.request({ ...acquire, waitMs: 1_000 });
    run.expect(held.ok, 'setup', `holder could not acquire ${name}`);
    const doomed = await run.puppet(target, prefix);
    void doomed.request({ ...acquire, waitMs: 60_000 });
    await until(async () => (await inspect()) === 1, 5_000);
    const waiting = live.request({ ...acquire, waitMs: ttlMs });
    await until(async () => (await inspect()) === 2, 5_000);
    const killedAt = hostNow();
    doomed.kill();
    run.fault('kill-client');
    await holder.request({ op: 'release', id: held.id as string });
    const got = await waiting;
    run.expect(got.ok, 'dead-waiter-granted', `${mode} ${name}: the live waiter never got it: ${got.code}`);
    if (!got.ok) continue;
    const cost = got.t - killedAt;
    run.metric('deadWaiterKillToGrantMs', cost);
    run.expect(cost < ttlMs / 2, 'dead-waiter-granted', `${mode}: kill to grant took ${cost.toFixed(0)} ms`);
    await live.request({ op: 'release', id: got.id as string });
  }
  await Promise.all([holder.stop(), live.stop()]);
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = hostNow() + timeoutMs;
  while (hostNow() < end && !(await check())) await sleep(10);
}

/** Acquisitions aborted at random moments under contention; afterwards no permit is held. */
async function abortsRacingGrants(run: ScenarioRun, lockstep: Lockstep, port: number, prefix: string): Promise<void> {
  const names = ['abort-a', 'abort-b'];
  const load: LoadConfig = {
    mode: 'semaphore',
    names,
    contenders: 16,
    iterations: 1e6,
    durationMs: run.pick(4_000, 25_000),
    // A long TTL: a permit lost to a racing abort would stay visible for the whole check.
    ttlMs: 30_000,
    waitMs: 5_000,
    limit: LIMIT,
    holdMs: [0, 3],
    abortAfterMs: [1, 25],
  };
  const target = { kind: 'standalone', ports: [port] } as const;
  await Promise.all(
    [0, 1, 2].map(() => run.spawn({ target, prefix, impl: 'lockstep', waiterTtlMs: WAITER_TTL_MS, load })),
  );
  await run.settleWorkers();
  await sleep(200);
  for (const name of names) {
    const state = await lockstep.semaphore(name, { limit: LIMIT }).inspect();
    run.expect(state.used === 0, 'permit-lost', `${name}: ${state.used} permit(s) still held after every client left`);
  }
  run.note(`aborted acquisitions: ${run.result.failures.ERR_ABORTED ?? 0}`);
}

/** Scenario 8. */
export async function semaphoreWaiters(run: ScenarioRun): Promise<void> {
  const { server, admin } = await ownServer(run);
  const prefix = uniquePrefix('s8');
  const client = new Redis({ host: '127.0.0.1', port: server.port });
  client.on('error', () => undefined);
  const lockstep = new Lockstep({ redis: client, prefix });
  run.onCleanup(async () => {
    await lockstep.close();
    client.disconnect();
  });
  await deadWaiters(run, lockstep, server.port, prefix);
  await freshlyDeadWaiter(run, server.port, prefix);
  await deadWaiterAtDefaults(run, lockstep, server.port, prefix);
  await abortsRacingGrants(run, lockstep, server.port, prefix);
  await run.settleWorkers();
  run.check({ limitOf: () => LIMIT });
  await auditKeys(run, [admin], prefix, longestKeyTtl(30_000, WAITER_TTL_MS));
}
