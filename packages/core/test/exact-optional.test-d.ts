// Type-level checks, compiled with `exactOptionalPropertyTypes: true` (test/tsconfig.exact-optional.json,
// run by `pnpm typecheck`), as `tsc --init` sets it: every optional option takes `T | undefined`, so
// a value read from the user's own config passes through (undefined is absent, as at run time).
import type { Redis } from 'ioredis';
import {
  type AcquireOptions,
  DEFAULT_LOCK_OPTIONS,
  DEFAULT_QUORUM_OPTIONS,
  type LeaseHandle,
  type LockOptions,
  Lockstep,
  LockstepAdmin,
  type LockstepOptions,
  type LostCallback,
  type QuorumOptions,
  type SemaphoreAcquireOptions,
  type SemaphoreOptions,
  type SemaphoreTryAcquireOptions,
  type TryAcquireOptions,
} from '../src/index.js';
import { createMemoryLockstep } from '../src/testing/index.js';

/** A config value that may be absent. */
declare function maybe<T>(value: T): T | undefined;
declare const redis: Redis;
declare const nodes: readonly Redis[];
declare const handle: LeaseHandle;
declare const onLost: LostCallback;

const quorum: QuorumOptions = {
  nodeTimeoutMs: maybe(50),
  retryDelayMs: maybe(50),
  retryJitterMs: maybe(50),
  maxInFlight: maybe(256),
  releaseRetries: maybe(2),
};
const options: LockstepOptions = {
  redis,
  prefix: maybe('billing'),
  requestTimeoutMs: maybe(5_000),
  driftFactor: maybe(0.01),
  onError: maybe((error: unknown) => console.error(error)),
  quorum: maybe(quorum),
  stats: maybe(true),
};
const lockstep = new Lockstep(options);
new Lockstep({ redis: nodes, quorum: { nodeTimeoutMs: maybe(50) } });

const lockOptions: LockOptions = { ttlMs: maybe(10_000), waiterTtlMs: maybe(10_000), maxWaiters: maybe(10) };
const lock = lockstep.lock('invoice:42', lockOptions);
lockstep.lockAll(['a', 'b'], { ttlMs: maybe(1_000) });

const acquire: AcquireOptions = {
  waitMs: maybe(1_000),
  signal: maybe(AbortSignal.timeout(1_000)),
  autoExtend: maybe(true),
  onLost: maybe(onLost),
};
void lock.acquire(acquire);
const tryAcquire: TryAcquireOptions = { signal: maybe(AbortSignal.timeout(1)), autoExtend: maybe(false) };
void lock.tryAcquire(tryAcquire);
void lock.withLock(() => 1, { waitMs: maybe(1), onLost: maybe(onLost) });
void lock.adopt(handle, { autoExtend: maybe(true), onLost: maybe(onLost) });

const semaphoreOptions: SemaphoreOptions = {
  limit: 2,
  ttlMs: maybe(10_000),
  waiterTtlMs: maybe(10_000),
  maxWaiters: maybe(10),
  priorities: maybe(['critical', 'bulk']),
  defaultPriority: maybe('bulk'),
  agingMs: maybe(0),
};
const semaphore = lockstep.semaphore('exports', semaphoreOptions);
const permit: SemaphoreAcquireOptions = { priority: maybe('critical'), weight: maybe(1), waitMs: maybe(0) };
void semaphore.acquire(permit);
const tryPermit: SemaphoreTryAcquireOptions = { priority: maybe(1), weight: maybe(1), onLost: maybe(onLost) };
void semaphore.tryAcquire(tryPermit);
void semaphore.withPermit(() => 1, { weight: maybe(2), autoExtend: maybe(false) });
void semaphore.adopt(handle, { autoExtend: maybe(false) });

const admin = new LockstepAdmin({ redis, prefix: maybe('billing'), requestTimeoutMs: maybe(1_000) });
void admin.forceRelease('lock', 'invoice:42', { fence: maybe(7) });

createMemoryLockstep({ driftFactor: maybe(0.01), onError: maybe(() => undefined) });

// Defaults users read stay exact: every value is given.
const ttlMs: number = DEFAULT_LOCK_OPTIONS.ttlMs;
const nodeTimeoutMs: number = DEFAULT_QUORUM_OPTIONS.nodeTimeoutMs;
void [ttlMs, nodeTimeoutMs];

// @ts-expect-error `waitMs` is a number, undefined or absent
void lock.acquire({ waitMs: maybe('1') });
// @ts-expect-error `limit` is required, not optional
lockstep.semaphore('exports', { limit: maybe(1) });
