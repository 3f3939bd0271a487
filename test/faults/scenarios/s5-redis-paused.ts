// Scenario 5: Redis paused (SIGSTOP) for twice the TTL while clients acquire. A caller whose wait
// ends first gets a timeout error (ERR_REDIS); a caller still waiting after the resume gets a lease
// that is still valid; an already-expired lease is never returned (the checker's expired-grant rule).
import { uniquePrefix } from '@lockstep/test-utils';
import { hostNow } from '../../support/history.js';
import { auditKeys, longestKeyTtl } from '../key-audit.js';
import type { LoadConfig } from '../worker/protocol.js';
import type { ScenarioRun } from './scenario-run.js';
import { ownServer } from './servers.js';
import { lockstepKey, sleep, waitFor } from './util.js';

const TTL_MS = 500;

/** Scenario 5. */
export async function redisPaused(run: ScenarioRun): Promise<void> {
  const { server, admin } = await ownServer(run);
  const prefix = uniquePrefix('s5');
  const target = { kind: 'standalone', ports: [server.port] } as const;
  const durationMs = run.pick(7_000, 30_000);
  const base = { contenders: 8, iterations: 1e6, durationMs, ttlMs: TTL_MS, waitMs: 2_000, holdMs: [0, 10] } as const;
  const loads: LoadConfig[] = [
    { ...base, mode: 'lock', names: ['lock-a', 'lock-b'] },
    { ...base, mode: 'semaphore', names: ['sem-a'], limit: 2 },
  ];
  await Promise.all(
    loads.map((load) =>
      run.spawn({ target, prefix, impl: 'lockstep', requestTimeoutMs: 300, waiterTtlMs: 1_000, load }),
    ),
  );
  const [early, late] = await Promise.all([
    run.puppet(target, prefix, { requestTimeoutMs: 300 }),
    run.puppet(target, prefix, { requestTimeoutMs: 300 }),
  ]);
  const end = hostNow() + durationMs - 2_500;
  for (let r = 0; hostNow() < end; r++) {
    await sleep(500);
    const name = `paused-${r}`;
    server.pause();
    run.fault('pause-redis');
    const pausedAt = hostNow();
    // One caller gives up during the pause, one waits past it.
    const gaveUp = early.request({
      op: 'acquire',
      mode: 'lock',
      name: `${name}-early`,
      ttlMs: TTL_MS,
      waitMs: Math.floor(1.5 * TTL_MS),
    });
    const waited = late.request({
      op: 'acquire',
      mode: 'semaphore',
      name: `${name}-late`,
      ttlMs: TTL_MS,
      waitMs: 6 * TTL_MS,
      limit: 1,
    });
    const first = await gaveUp;
    // How long the caller that asked for 1.5 TTL actually waited (an attempt in flight is not cut short).
    run.metric('pausedAcquireErrorAfterMs', first.t - pausedAt);
    run.expect(
      !first.ok && first.code === 'ERR_REDIS',
      'timeout-error',
      `acquire during the pause gave ${first.ok ? 'a lease' : first.code}`,
    );
    await sleep(Math.max(0, pausedAt + 2 * TTL_MS - hostNow()));
    server.resume();
    const resumedAt = hostNow();
    const second = await waited;
    run.expect(second.ok, 'no-recovery', `acquire across the pause failed: ${second.code}`);
    if (second.ok) {
      run.metric('recoveryMs', second.t - resumedAt);
      run.expect((second.remainingMs ?? 0) > 0, 'expired-grant', 'a lease was returned with no validity left');
      await late.request({ op: 'release', id: second.id as string });
    }
    // The caller that gave up must not keep the lock: its queued attempt is undone, or expires.
    const key = lockstepKey(prefix, 'l', `${name}-early`);
    const gone = await waitFor(async () => (await admin.exists(key)) === 0, TTL_MS + 500);
    run.expect(gone, 'orphan-key', `${name}-early outlived its TTL after the caller gave up`);
  }
  await Promise.all([early.stop(), late.stop()]);
  await run.settleWorkers();
  run.check({ limitOf: (name) => (name.startsWith('sem') ? 2 : 1) });
  await auditKeys(run, [admin], prefix, longestKeyTtl(TTL_MS, 1_000));
}
