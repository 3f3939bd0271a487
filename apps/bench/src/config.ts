// Run profiles: how long each workload runs and how many rounds it takes, for --quick and the full run.

/** Durations and sizes of one benchmark run. */
export interface Profile {
  readonly name: 'quick' | 'full';
  /** Measured rounds per row; every figure is the median over them. */
  readonly rounds: number;
  /** Warm-up before each measured round, ms (not measured). */
  readonly warmupMs: number;
  /** Length of one measured round of the uncontended workloads, ms. */
  readonly uncontendedMs: number;
  /**
   * Measured rounds of the two uncontended workloads (their ratios are targets, and a round is
   * short): more than `rounds`, so a burst of load on this shared machine moves no median.
   */
  readonly uncontendedRounds: number;
  /**
   * Warm-up before each uncontended round, ms: long enough for the JIT to settle on every
   * library's hot path (a short one measures compile time, and favours the smallest code).
   */
  readonly uncontendedWarmupMs: number;
  /** Length of one measured round of the contended workloads, ms. */
  readonly contendedMs: number;
  /** Length of one measured round of the relay, ms. */
  readonly relayMs: number;
  /** Queue depths of the deep-queue workload. */
  readonly depths: readonly number[];
  /** Length of one measured round of the deep-queue workload, ms. */
  readonly deepQueueMs: number;
  /** Held locks in the memory workload (Lockstep and the raw baseline). */
  readonly memoryLocks: number;
  /** Held locks in the memory workload for the peers (bytes per lock do not depend on the count). */
  readonly memoryPeerLocks: number;
  /** Parked waiters in the memory workload. */
  readonly memoryWaiters: number;
  /** Requests per redis-benchmark run. */
  readonly ceilingRequests: number;
}

export const PROFILES: Readonly<Record<Profile['name'], Profile>> = Object.freeze({
  quick: {
    name: 'quick',
    rounds: 1,
    warmupMs: 100,
    uncontendedMs: 250,
    uncontendedRounds: 1,
    uncontendedWarmupMs: 400,
    contendedMs: 500,
    relayMs: 400,
    depths: [1, 10, 100, 1_000],
    deepQueueMs: 400,
    memoryLocks: 10_000,
    memoryPeerLocks: 5_000,
    memoryWaiters: 1_000,
    ceilingRequests: 20_000,
  },
  full: {
    name: 'full',
    rounds: 3,
    warmupMs: 150,
    uncontendedMs: 500,
    uncontendedRounds: 5,
    uncontendedWarmupMs: 1_000,
    contendedMs: 1_000,
    relayMs: 600,
    depths: [1, 10, 100, 1_000, 10_000],
    // 3 × 1.15 s: together longer than one heartbeat period of the waiters (10 s / 3).
    deepQueueMs: 1_150,
    memoryLocks: 100_000,
    memoryPeerLocks: 20_000,
    memoryWaiters: 10_000,
    ceilingRequests: 100_000,
  },
});

/** Lease TTL every library uses, ms: long enough that nothing expires during a round. */
export const TTL_MS = 10_000;
/** How long any caller waits for one acquisition before it counts as a timeout, ms. */
export const WAIT_MS = 5_000;
/** Hold of the contended mutex workloads, ms. */
export const MUTEX_HOLD_MS = 1;
/** Callers of the contended mutex workloads. */
export const MUTEX_CALLERS = 16;
/** Processes the cross-process workloads spread their callers over. */
export const PROCESSES = 4;
/** Semaphore workload: limit, callers and hold. */
export const SEM_LIMIT = 5;
export const SEM_CALLERS = 32;
export const SEM_HOLD_MS = 2;
/** Callers of the parallel-uncontended workload. */
export const PARALLEL_CALLERS = 64;
/** Callers of the contended quorum workload. */
export const QUORUM_CALLERS = 8;
/** Independent servers of the quorum workloads. */
export const QUORUM_SERVERS = 5;
