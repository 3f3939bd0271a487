// Checker self-test: four deliberately broken implementations, driven by the same workers and
// recorder as Lockstep, under a workload that gives each bug its chance. The checker must flag
// every one; in the full profile the same workload on Lockstep is the control and must pass.
import { uniquePrefix } from '../../harness/index.js';
import { hostNow } from '../../support/history.js';
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
  /** Reply drops through a proxy (the first-retry bug needs an attempt whose reply was lost). */
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
  'first-retry-validity': {
    impl: 'first-retry-validity',
    limit: 1,
    dropReplies: true,
    requestTimeoutMs: 80,
    load: { ...base, mode: 'lock', names: ['b'], ttlMs: 1_000, holdMs: 'untilValidity' },
  },
};

async function drive(run: ScenarioRun, label: string, impl: ImplKind, v: Variant, durationMs: number): Promise<void> {
  const { server } = await ownServer(run);
  const prefix = uniquePrefix(`c${label}`);
  let port = server.port;
  let proxy: FaultProxy | undefined;
  if (v.dropReplies) {
    proxy = await FaultProxy.start(server.port);
    run.onCleanup(() => (proxy as FaultProxy).close());
    port = proxy.port;
  }
  const config = {
    target: { kind: 'standalone', ports: [port] },
    prefix,
    impl,
    ...(v.requestTimeoutMs ? { requestTimeoutMs: v.requestTimeoutMs } : {}),
  } as const;
  await Promise.all(
    [0, 1, 2].map((i) => run.spawn({ ...config, label: `${label}${i}`, load: { ...v.load, durationMs } })),
  );
  const end = hostNow() + durationMs;
  while (proxy && hostNow() < end - 500) {
    await sleep(350);
    proxy.set('down', { drop: true });
    run.fault('drop-replies');
    await sleep(150);
    proxy.heal();
  }
  await run.settleWorkers();
}

/** Runs one broken variant (expected to be flagged), and in the full profile Lockstep as control. */
export function selfTest(variant: string): (run: ScenarioRun) => Promise<void> {
  return async (run) => {
    const v = VARIANTS[variant] as Variant;
    const durationMs = run.pick(4_000, 8_000);
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
