// Scenario 1: a lock and a semaphore under 64 contenders each, with no faults. The checker passes.
import { uniquePrefix } from '@lockstep/test-utils';
import { auditKeys, longestKeyTtl } from '../key-audit.js';
import type { ScenarioRun } from './scenario-run.js';
import { ownServer } from './servers.js';

/** Names of scenario 1's semaphores; everything else is a lock. */
const SEMAPHORES = ['sem-a', 'sem-b', 'sem-c', 'sem-d'];
const LIMIT = 3;

/** 64 contenders per mode, on a server of its own. */
export async function noFaults(run: ScenarioRun): Promise<void> {
  const { server, admin } = await ownServer(run);
  const prefix = uniquePrefix('s1');
  const ttlMs = 2_000;
  const durationMs = run.pick(6_000, 80_000);
  const common = { target: { kind: 'standalone', ports: [server.port] }, prefix, impl: 'lockstep' } as const;
  // Two processes of 32 contenders per mode: 64 each, and half the start-up cost of four.
  for (let p = 0; p < 2; p++) {
    await run.spawn({
      ...common,
      load: {
        mode: 'lock',
        names: ['lock-a', 'lock-b', 'lock-c', 'lock-d', 'lock-e', 'lock-f', 'lock-g', 'lock-h'],
        contenders: 32,
        iterations: 1_000_000,
        durationMs,
        ttlMs,
        waitMs: 10_000,
        holdMs: [0, 1],
      },
    });
    await run.spawn({
      ...common,
      load: {
        mode: 'semaphore',
        names: SEMAPHORES,
        contenders: 32,
        iterations: 1_000_000,
        durationMs,
        ttlMs,
        waitMs: 10_000,
        limit: LIMIT,
        weights: [1, 1, 2],
        holdMs: [0, 2],
      },
    });
  }
  await run.settleWorkers();
  run.check({ limitOf: (name) => (SEMAPHORES.includes(name) ? LIMIT : 1) });
  await auditKeys(run, [admin], prefix, longestKeyTtl(ttlMs));
}
