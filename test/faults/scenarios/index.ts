// Every scenario of the fault suite, in the order they run.
import { noFaults } from './s1-no-faults.js';
import { holderKilled } from './s2-holder-killed.js';
import { holderPaused } from './s3-holder-paused.js';
import { connectionFaults } from './s4-connection-faults.js';
import { redisPaused } from './s5-redis-paused.js';
import { quorum } from './s6-quorum.js';
import { cluster } from './s7-cluster.js';
import { semaphoreWaiters } from './s8-semaphore-waiters.js';
import { nonGuarantees } from './s9-non-guarantees.js';
import type { ScenarioRun } from './scenario-run.js';
import { selfTest } from './self-test.js';

/** One scenario. */
export interface ScenarioDef {
  readonly id: string;
  readonly title: string;
  /** True when the scenario provokes violations on purpose and passes only if the checker flags them. */
  readonly expectFlags?: boolean;
  readonly run: (run: ScenarioRun) => Promise<void>;
}

/** The scenarios, by the numbering; `C` are the checker self-tests. */
export const SCENARIOS: readonly ScenarioDef[] = [
  { id: '8', title: 'semaphore: waiters killed, aborts racing grants', run: semaphoreWaiters },
  { id: '1', title: 'lock and semaphore, 64 contenders each, no faults', run: noFaults },
  { id: '2', title: 'holder killed: reclaim within TTL + margin', run: holderKilled },
  { id: '3', title: 'holder paused 2×TTL (SIGSTOP, blocked event loop)', run: holderPaused },
  { id: '4', title: 'connection cut / reply dropped / proxy faults, CLIENT KILL, SCRIPT FLUSH', run: connectionFaults },
  { id: '5', title: 'Redis paused 2×TTL during acquire', run: redisPaused },
  { id: '6', title: 'quorum: 2 of 5 killed, 3 of 5 cut, latency ramp', run: quorum },
  { id: '7', title: 'cluster: repeated failover; primary killed (measured)', run: cluster },
  {
    id: '9',
    title: 'non-guarantees on purpose: restart-empty quorum node, eviction',
    expectFlags: true,
    run: nonGuarantees,
  },
  ...['del-release', 'extend-recreate', 'two-rtt-semaphore', 'first-retry-validity'].map((variant, i) => ({
    id: `C${i + 1}`,
    title: `checker self-test: broken ${variant}`,
    expectFlags: true,
    run: selfTest(variant),
  })),
];
