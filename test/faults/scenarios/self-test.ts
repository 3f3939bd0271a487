// Checker self-test: four deliberately broken implementations, driven by the same workers and
// recorder as Lockstep, under a workload that gives each bug its chance. The checker must flag
// every one; in the full profile the same workload on Lockstep is the control and must pass.
import { uniquePrefix } from '@lockstep/test-utils';
import { FaultProxy } from '../proxy/fault-proxy.js';
import type { ImplKind, LoadConfig } from '../worker/protocol.js';
import type { ScenarioRun } from './scenario-run.js';
import { ownServer } from './servers.js';
import { processOf, sleep } from './util.js';

/** A broken variant and the workload that exposes it. */
interface Variant {
  readonly impl: Exclude<ImplKind, 'lockstep'>;
  readonly load: LoadConfig;
  readonly limit: number;
  /** Driven step by step with a reply dropped by a proxy (the first-retry bug needs one). */
  readonly dropReplies?: boolean;
  readonly requestTimeoutMs?: number;
}

const base = { contenders: 8, iterations: 1e6, durationMs: 0, waitMs: 5_000 } as const;

/** The four variants of the issue. */
export const VARIANTS: Record<string, Variant> = {
  // Holders sometimes overrun their TTL, then release: a plain DEL frees the next owner's lock.
  'del-release': {
    impl: 'del-release',
    limit: 1,
    load: { ...base, mode: 'lock', names: ['b'], ttlMs: 200, holdMs: [20, 300] },
  },
  // A holder stalls past its TTL, then extends: SET re-creates (or steals) the key.
  'extend-recreate': {
    impl: 'extend-recreate',
    limit: 1,
    load: {
      ...base,
      mode: 'lock',
      names: ['b'],
      ttlMs: 300,
      holdMs: [100, 400],
      extendEveryMs: 100,
      stallChance: 0.15,
      stallMs: 350,
    },
  },
  // Count, then join: two contenders both see the last free permit.
  'two-rtt-semaphore': {
    impl: 'two-rtt-semaphore',
    limit: 2,
    load: { ...base, mode: 'semaphore', names: ['b'], contenders: 16, ttlMs: 1_000, limit: 2, holdMs: [0, 3] },
  },
  // An attempt's reply is dropped, the retry finds the key and counts a fresh TTL from the retry.
  // Driven step by step (see `droppedReplyThenRetry`), so the bug gets its chance every time.
  'first-retry-validity': {
    impl: 'first-retry-validity',
    limit: 1,
    dropReplies: true,
    requestTimeoutMs: 100,
    load: { ...base, mode: 'lock', names: ['b'], ttlMs: 500, holdMs: [0, 0] },
  },
};

/**
 * X acquires through a proxy that drops its reply: the attempt took the lock, X times out, retries
 * and finds its own token. Y (direct) takes the lock the moment the key expires. X's window must
 * have ended by then; the broken variant counts it from the first retry and overlaps Y's.
 */
async function droppedReplyThenRetry(run: ScenarioRun, label: string, impl: ImplKind, v: Variant): Promise<void> {
  const { server } = await ownServer(run);
  const proxy = await FaultProxy.start(server.port);
  run.onCleanup(() => proxy.close());
  const prefix = uniquePrefix(`c${label}`);
  const extra = { impl, requestTimeoutMs: v.requestTimeoutMs ?? 100 };
  const x = await run.puppet({ kind: 'standalone', ports: [proxy.port] }, prefix, { ...extra, label: `${label}x` });
  const y = await run.puppet({ kind: 'standalone', ports: [server.port] }, prefix, { ...extra, label: `${label}y` });
  const ttlMs = v.load.ttlMs;
  for (let r = 0; r < run.pick(3, 8); r++) {
    const name = `retry-${r}`;
    proxy.set('down', { drop: true });
    run.fault('drop-replies');
    setTimeout(() => proxy.heal(), 2.5 * (v.requestTimeoutMs ?? 100));
    const first = await x.request({ op: 'acquire', mode: 'lock', name, ttlMs, waitMs: 3 * ttlMs });
    const second = await y.request({ op: 'acquire', mode: 'lock', name, ttlMs, waitMs: 3 * ttlMs });
    await sleep(ttlMs);
    if (first.ok) await x.request({ op: 'release', id: first.id as string });
    if (second.ok) await y.request({ op: 'release', id: second.id as string });
  }
  await Promise.all([x.stop(), y.stop()]);
}

async function drive(run: ScenarioRun, label: string, impl: ImplKind, v: Variant, durationMs: number): Promise<void> {
  if (v.dropReplies) {
    await droppedReplyThenRetry(run, label, impl, v);
    return;
  }
  const { server } = await ownServer(run);
  const config = {
    target: { kind: 'standalone', ports: [server.port] },
    prefix: uniquePrefix(`c${label}`),
    impl,
  } as const;
  await Promise.all(
    [0, 1, 2].map((i) => run.spawn({ ...config, label: `${label}${i}`, load: { ...v.load, durationMs } })),
  );
  await run.settleWorkers();
}

/** Runs one broken variant (expected to be flagged), and in the full profile Lockstep as control. */
export function selfTest(variant: string): (run: ScenarioRun) => Promise<void> {
  return async (run) => {
    const v = VARIANTS[variant] as Variant;
    const durationMs = run.pick(3_000, 8_000);
    await drive(run, 'x', v.impl, v, durationMs);
    const limitOf = () => v.limit;
    const before = run.result.flagged.length;
    run.check({ limitOf, expected: true, filter: (e) => processOf(e)?.startsWith('x') ?? false });
    const kinds = new Set(run.result.flagged.slice(before).map((f) => f.kind));
    run.note(`${variant}: flagged ${run.result.flagged.length - before} (${[...kinds].join(', ')})`);
    if (run.profile.name === 'full') {
      await drive(run, 'k', 'lockstep', v, durationMs);
      run.check({ limitOf, filter: (e) => processOf(e)?.startsWith('k') ?? false });
    }
  };
}
