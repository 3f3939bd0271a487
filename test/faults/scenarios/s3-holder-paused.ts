// Scenario 3: a holder is paused for twice its TTL (SIGSTOP, or its event loop blocked). Its signal
// fires on resume; its late extend and release do not disturb the new owner; a resource that
// checks fences rejects its stale write.
import { uniquePrefix } from '@lockstep/test-utils';
import { hostNow } from '../../support/history.js';
import { auditKeys, longestKeyTtl } from '../key-audit.js';
import type { WorkerProcess } from '../worker/worker-process.js';
import type { ScenarioRun } from './scenario-run.js';
import { ownServer } from './servers.js';
import { sleep, waitFor } from './util.js';

const TTL_MS = 800;

async function pausedOnce(
  run: ScenarioRun,
  a: WorkerProcess,
  b: WorkerProcess,
  mode: 'lock' | 'semaphore',
  how: 'sigstop' | 'blocked-loop',
  name: string,
): Promise<void> {
  // Semaphore: the holder takes both permits, so the new owner needs the paused one's.
  const weight = mode === 'lock' ? 1 : 2;
  const acquire = { op: 'acquire', mode, name, ttlMs: TTL_MS, limit: 2, weight } as const;
  const first = await a.request({ ...acquire, waitMs: 2_000 });
  run.expect(first.ok, 'setup', `holder could not acquire ${name}: ${first.code}`);
  if (!first.ok) return;
  const id = first.id as string;
  run.expect((await a.request({ op: 'write', id })).accepted === true, 'fenced-write', 'first write rejected');

  const pausedAt = hostNow();
  let unblocked: Promise<void> = Promise.resolve();
  if (how === 'sigstop') a.pause();
  else unblocked = a.block(2 * TTL_MS);
  run.fault(how === 'sigstop' ? 'pause-client' : 'block-event-loop');

  // The new owner takes a longer TTL: it must still hold when the late calls arrive, two TTLs on.
  const second = await b.request({ ...acquire, ttlMs: 5 * TTL_MS, waitMs: 4 * TTL_MS });
  run.expect(second.ok, 'takeover', `new owner never got ${name}: ${second.code}`);
  if (!second.ok) return;
  const bid = second.id as string;
  run.expect((second.fence ?? 0) > (first.fence ?? 0), 'fence-order', `fence ${second.fence} after ${first.fence}`);
  run.expect((await b.request({ op: 'write', id: bid })).accepted === true, 'fenced-write', 'new owner rejected');

  await sleep(Math.max(0, pausedAt + 2 * TTL_MS - hostNow()));
  if (how === 'sigstop') a.resume();
  await unblocked;
  const resumedAt = hostNow();
  const reported = await waitFor(() => a.lost.has(id), 2_000);
  run.expect(reported, 'lost-unreported', `${how}: the paused holder's signal never fired`);
  if (reported) run.metric('lossOnResumeMs', Math.max(0, (a.lost.get(id) as number) - resumedAt));

  const extend = await a.request({ op: 'extend', id });
  run.expect(!extend.ok && extend.code === 'ERR_LEASE_LOST', 'late-extend', `late extend: ${extend.ok} ${extend.code}`);
  const stale = await a.request({ op: 'write', id });
  run.expect(stale.accepted === false, 'stale-write', 'the fenced resource accepted a stale write');
  const release = await a.request({ op: 'release', id });
  run.expect(
    release.ok && release.released === false,
    'late-release',
    `late release: ${release.released} ${release.code}`,
  );
  const status = await b.request({ op: 'status', id: bid });
  run.expect(status.held === true, 'disturbed', 'the new owner lost its lease to the late release');
  const extended = await b.request({ op: 'extend', id: bid });
  run.expect(extended.ok, 'disturbed', `the new owner could not extend: ${extended.code}`);
  await b.request({ op: 'release', id: bid });
}

/** Scenario 3. */
export async function holderPaused(run: ScenarioRun): Promise<void> {
  const { server, admin } = await ownServer(run);
  const prefix = uniquePrefix('s3');
  const target = { kind: 'standalone', ports: [server.port] } as const;
  const extra = { resourcePort: server.port, waiterTtlMs: 1_000 };
  const [a, b] = await Promise.all([run.puppet(target, prefix, extra), run.puppet(target, prefix, extra)]);
  let n = 0;
  for (let r = 0; r < run.pick(1, 4); r++) {
    for (const mode of ['lock', 'semaphore'] as const) {
      for (const how of ['sigstop', 'blocked-loop'] as const) {
        await pausedOnce(run, a, b, mode, how, `paused-${mode}-${n++}`);
      }
    }
  }
  await Promise.all([a.stop(), b.stop()]);
  await run.settleWorkers();
  run.check({ limitOf: (name) => (name.includes('semaphore') ? 2 : 1) });
  // The new owner's lease is five TTLs long: its keys may live that long (times two, plus grace).
  await auditKeys(run, [admin], prefix, longestKeyTtl(5 * TTL_MS, 1_000));
}
