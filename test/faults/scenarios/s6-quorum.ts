// Scenario 6: quorum locks over 5 servers, each behind a fault proxy. Two nodes killed mid-run
// (restarted only after a TTL, as Redlock requires): still correct. Three nodes cut: ERR_QUORUM
// naming them unavailable. Latency ramped on two nodes: the validity accounting holds.
import { uniquePrefix } from '@lockstep/test-utils';
import { hostNow } from '../../support/history.js';
import { auditKeys, longestKeyTtl } from '../key-audit.js';
import type { LoadConfig } from '../worker/protocol.js';
import type { WorkerProcess } from '../worker/worker-process.js';
import type { ScenarioRun } from './scenario-run.js';
import { ownProxiedServers } from './servers.js';
import { sleep } from './util.js';

const TTL_MS = 1_000;

/** Scenario 6. */
export async function quorum(run: ScenarioRun): Promise<void> {
  const { servers, proxies, admins } = await ownProxiedServers(run, 5);
  const prefix = uniquePrefix('s6');
  const target = { kind: 'quorum', ports: proxies.map((p) => p.port) } as const;
  const phaseMs = run.pick(3_000, 9_000);
  const load: LoadConfig = {
    mode: 'lock',
    names: ['q-a', 'q-b', 'q-c'],
    contenders: 12,
    iterations: 1e6,
    durationMs: 3 * phaseMs + 2 * TTL_MS + 6_000,
    ttlMs: TTL_MS,
    waitMs: 3_000,
    holdMs: [0, 10],
    failureBackoffMs: 50,
  };
  const workers: WorkerProcess[] = await Promise.all(
    [0, 1, 2].map(() => run.spawn({ target, prefix, impl: 'lockstep', load })),
  );

  // Two of five killed mid-run; restarted (empty) only after their keys would have expired anyway.
  await sleep(phaseMs / 2);
  const killed = [servers[0], servers[3]];
  for (const s of killed) {
    await s?.kill();
    run.fault('kill-redis');
  }
  const killedAt = hostNow();
  await sleep(Math.max(phaseMs / 2, TTL_MS + 1_000));
  for (const s of killed) {
    await s?.restart();
    run.fault('restart-redis');
  }
  run.metric('quorumNodesDownMs', hostNow() - killedAt);

  // Three of five cut: a clear ERR_QUORUM that says the nodes were unreachable.
  await sleep(phaseMs / 2);
  const puppet = await run.puppet(target, prefix);
  for (const p of proxies.slice(2)) {
    p.cut();
    run.fault('cut-connection');
  }
  const reply = await puppet.request({ op: 'acquire', mode: 'lock', name: 'q-cut', ttlMs: TTL_MS, waitMs: 500 });
  run.expect(!reply.ok && reply.code === 'ERR_QUORUM', 'quorum-error', `3 of 5 cut gave ${reply.code}`);
  const detail = reply.detail ?? '';
  run.expect(
    detail.startsWith('unavailable') && detail.split('unreachable').length - 1 === 3,
    'quorum-detail',
    `the error did not name 3 unreachable nodes: ${detail}`,
  );
  await sleep(phaseMs / 2);
  for (const p of proxies) p.heal();
  await puppet.stop();

  // Latency ramped on two nodes, replies and requests alike.
  for (const latencyMs of [10, 25, 50, 100, 200]) {
    for (const p of proxies.slice(0, 2)) p.set('both', { latencyMs, jitterMs: Math.floor(latencyMs / 2) });
    run.fault('latency');
    await sleep(phaseMs / 5);
  }
  for (const p of proxies) p.heal();
  for (const w of workers) void w.request({ op: 'stop' });
  await run.settleWorkers();
  run.check({ limitOf: () => 1 });
  await auditKeys(run, admins, prefix, longestKeyTtl(TTL_MS));
}
