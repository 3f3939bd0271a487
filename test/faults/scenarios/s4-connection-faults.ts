// Scenario 4: connections cut mid-acquire, replies dropped, blackholes, resets, latency, CLIENT KILL
// and SCRIPT FLUSH, under load through a fault proxy. Outcomes are indeterminate, callers get clear
// errors, and no orphan key outlives its TTL.

import { clientKillAll, scriptFlush, uniquePrefix } from '@lockstep/test-utils';
import { hostNow } from '../../support/history.js';
import { auditKeys, longestKeyTtl } from '../key-audit.js';
import { FaultProxy } from '../proxy/fault-proxy.js';
import type { LoadConfig } from '../worker/protocol.js';
import type { ScenarioRun } from './scenario-run.js';
import { ownServer } from './servers.js';
import { between, lockstepKey, sleep, waitFor } from './util.js';

const TTL_MS = 1_000;
/** Codes a caller may see here; anything else (ERR_INTERNAL, a raw ioredis error) is a finding. */
const CLEAR_ERRORS = new Set(['ERR_REDIS', 'ERR_ACQUIRE_TIMEOUT', 'ERR_LEASE_LOST']);

type Fault = (proxy: FaultProxy, run: ScenarioRun, admin: import('ioredis').Redis) => Promise<void>;

/** The fault menu, each one switched on, held briefly and healed. */
const FAULTS: Record<string, Fault> = {
  'drop-replies': async (proxy) => {
    proxy.set('down', { drop: true });
    await sleep(between(100, 400));
    proxy.heal();
  },
  'cut-connection': async (proxy) => {
    proxy.cut();
    await sleep(between(100, 300));
    proxy.heal();
  },
  'reset-connection': async (proxy) => {
    proxy.reset();
  },
  blackhole: async (proxy) => {
    proxy.set(Math.random() < 0.5 ? 'up' : 'down', { blackhole: true });
    await sleep(between(100, 400));
    proxy.heal();
  },
  latency: async (proxy) => {
    proxy.set('down', { latencyMs: between(50, 150), jitterMs: 50 });
    await sleep(between(300, 700));
    proxy.heal();
  },
  'client-kill': async (_proxy, _run, admin) => {
    await clientKillAll(admin);
  },
  'script-flush': async (_proxy, _run, admin) => {
    await scriptFlush(admin);
  },
};

/**
 * A reply dropped mid-acquire, or the connection cut mid-acquire (the request reached Redis, the
 * reply was held, then the connection was reset and refused): a clear, indeterminate error, and the
 * key does not outlive its TTL even though ioredis re-sends the attempt after reconnecting.
 */
async function droppedMidAcquire(run: ScenarioRun, proxy: FaultProxy, admin: import('ioredis').Redis, prefix: string) {
  const puppet = await run.puppet({ kind: 'standalone', ports: [proxy.port] }, prefix, { requestTimeoutMs: 300 });
  for (let r = 0; r < run.pick(2, 6); r++) {
    const name = `indeterminate-${r}`;
    const cut = r % 2 === 1;
    proxy.set('down', cut ? { blackhole: true } : { drop: true });
    run.fault(cut ? 'cut-connection' : 'drop-replies');
    if (cut) setTimeout(() => proxy.cut(), 50);
    const reply = await puppet.request({ op: 'acquire', mode: 'lock', name, ttlMs: TTL_MS, waitMs: 700 });
    run.expect(
      !reply.ok && reply.code === 'ERR_REDIS',
      'unclear-error',
      `${cut ? 'cut' : 'dropped reply'} gave ${reply.code}`,
    );
    run.expect(reply.indeterminate === true, 'unclear-error', 'a timed-out acquire was not marked indeterminate');
    const healedAt = hostNow();
    proxy.heal();
    const gone = await waitFor(async () => (await admin.exists(lockstepKey(prefix, 'l', name))) === 0, TTL_MS + 500);
    run.expect(gone, 'orphan-key', `${name} outlived its TTL`);
    run.metric('orphanLifetimeMs', hostNow() - healedAt);
  }
  await puppet.stop();
}

/** Scenario 4. */
export async function connectionFaults(run: ScenarioRun): Promise<void> {
  const { server, admin } = await ownServer(run);
  const proxy = await FaultProxy.start(server.port);
  run.onCleanup(() => proxy.close());
  const prefix = uniquePrefix('s4');
  await droppedMidAcquire(run, proxy, admin, prefix);

  const durationMs = run.pick(6_000, 35_000);
  const base = { contenders: 16, iterations: 1e6, durationMs, ttlMs: TTL_MS, waitMs: 3_000 };
  const lock: LoadConfig = { ...base, mode: 'lock', names: ['lock-a', 'lock-b'], holdMs: [0, 400], extendEveryMs: 200 };
  const sem: LoadConfig = { ...base, mode: 'semaphore', names: ['sem-a'], limit: 3, weights: [1, 2], holdMs: [0, 30] };
  const config = {
    target: { kind: 'standalone', ports: [proxy.port] },
    prefix,
    impl: 'lockstep',
    requestTimeoutMs: 300,
    waiterTtlMs: 1_000,
  } as const;
  await Promise.all([lock, lock, sem, sem].map((load) => run.spawn({ ...config, load })));
  const kinds = Object.keys(FAULTS);
  const end = hostNow() + durationMs - 1_000;
  // Every kind at least once, even when a loaded machine makes each fault slow; then until the end.
  for (let i = 0; hostNow() < end || i < kinds.length; i++) {
    await sleep(between(300, 800));
    const kind = kinds[i % kinds.length] as string;
    run.fault(kind);
    await (FAULTS[kind] as Fault)(proxy, run, admin).catch(() => undefined);
  }
  await run.settleWorkers();
  for (const code of Object.keys(run.result.failures)) {
    run.expect(CLEAR_ERRORS.has(code), 'unclear-error', `an acquisition failed with ${code}`);
  }
  run.check({ limitOf: (name) => (name.startsWith('sem') ? 3 : 1) });
  await auditKeys(run, [admin], prefix, longestKeyTtl(TTL_MS, 1_000));
}
