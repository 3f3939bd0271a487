// Scenario 9: documented non-guarantees, run on purpose; the checker must flag them. A quorum node
// of the winning majority restarts empty; a lock key is evicted under `volatile-lru`.
import { uniquePrefix } from '@lockstep/test-utils';
import { auditKeys, longestKeyTtl } from '../key-audit.js';
import type { ScenarioRun } from './scenario-run.js';
import { ownProxiedServers, ownServer } from './servers.js';
import { lockstepKey } from './util.js';

const TTL_MS = 5_000;

/** A holds nodes 0-2 (its requests to 3 and 4 vanish); node 2 restarts empty; B takes 2-4. */
async function restartEmptyMajorityNode(run: ScenarioRun): Promise<void> {
  const { servers, proxies, admins } = await ownProxiedServers(run, 5);
  const prefix = uniquePrefix('s9q');
  // A talks through the proxies, B straight to the servers, so only A loses nodes 3 and 4.
  const a = await run.puppet({ kind: 'quorum', ports: proxies.map((p) => p.port) }, prefix);
  const b = await run.puppet({ kind: 'quorum', ports: servers.map((s) => s.port) }, prefix);
  for (const p of proxies.slice(3)) p.set('up', { drop: true });
  const first = await a.request({ op: 'acquire', mode: 'lock', name: 'q9', ttlMs: TTL_MS, waitMs: 1_000 });
  run.expect(first.ok, 'setup', `A could not take 3 of 5: ${first.code}`);
  await servers[2]?.restart();
  run.fault('restart-empty');
  const second = await b.request({ op: 'acquire', mode: 'lock', name: 'q9', ttlMs: TTL_MS, waitMs: 1_000 });
  run.note(
    `quorum restart-empty: second client ${second.ok ? 'was granted the lock A still held' : `refused (${second.code})`}`,
  );
  if (first.ok) await a.request({ op: 'release', id: first.id as string });
  if (second.ok) await b.request({ op: 'release', id: second.id as string });
  for (const p of proxies) p.heal();
  await Promise.all([a.stop(), b.stop()]);
  await auditKeys(run, admins, prefix, longestKeyTtl(TTL_MS));
}

/** A holds a lock; memory pressure evicts its key; B is granted the same lock. */
async function evictedUnderVolatileLru(run: ScenarioRun): Promise<void> {
  const { server, admin } = await ownServer(run, ['--maxmemory', '8mb', '--maxmemory-policy', 'volatile-lru']);
  const prefix = uniquePrefix('s9e');
  const target = { kind: 'standalone', ports: [server.port] } as const;
  const [a, b] = await Promise.all([run.puppet(target, prefix), run.puppet(target, prefix)]);
  const first = await a.request({ op: 'acquire', mode: 'lock', name: 'e9', ttlMs: TTL_MS, waitMs: 1_000 });
  run.expect(first.ok, 'setup', `A could not acquire: ${first.code}`);
  const key = lockstepKey(prefix, 'l', 'e9');
  const value = 'x'.repeat(16_384);
  let written = 0;
  // Recently written volatile filler: the idle lock key is the least recently used one.
  while ((await admin.exists(key)) === 1 && written < 4_000) {
    const batch = admin.pipeline();
    for (let i = 0; i < 50; i++) batch.set(`filler:${written++}`, value, 'PX', 20_000);
    await batch.exec();
  }
  run.fault('eviction', `${written} filler keys`);
  const second = await b.request({ op: 'acquire', mode: 'lock', name: 'e9', ttlMs: TTL_MS, waitMs: 1_000 });
  run.note(
    `eviction: lock key ${second.ok ? 'evicted; a second client was granted the held lock' : `kept (${second.code})`}`,
  );
  if (first.ok) await a.request({ op: 'release', id: first.id as string });
  if (second.ok) await b.request({ op: 'release', id: second.id as string });
  await Promise.all([a.stop(), b.stop()]);
  await auditKeys(run, [admin], prefix, longestKeyTtl(TTL_MS));
}

/** Scenario 9: every violation here is expected; the run fails if the checker sees none. */
export async function nonGuarantees(run: ScenarioRun): Promise<void> {
  await restartEmptyMajorityNode(run);
  await evictedUnderVolatileLru(run);
  await run.settleWorkers();
  // Each sub-run must be flagged on its own: check them separately by lock name.
  for (const name of ['q9', 'e9']) {
    const before = run.result.flagged.length;
    run.check({ limitOf: () => 1, expected: true, filter: (e) => !('name' in e) || e.name === name });
    run.expect(run.result.flagged.length > before, 'not-flagged', `the checker did not flag ${name}`);
  }
}
