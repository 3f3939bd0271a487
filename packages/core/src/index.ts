// Public API of @lockstep/core.
export {
  type ForceReleaseOptions,
  LockstepAdmin,
  type LockstepAdminOptions,
} from './admin/admin.js';
export type {
  HolderInfo,
  NameDetail,
  NameSummary,
  RatePoint,
  RateSeries,
  WaiterInfo,
} from './admin/admin-types.js';
export type { NameKind } from './admin/key-layout.js';
export type { AdoptOptions } from './adopt/adopt-lease.js';
export {
  type AcquireMessage,
  type AcquireOutcome,
  DIAGNOSTICS_CHANNELS,
  type ExtendMessage,
  type LeaseMessage,
  type LimiterKind,
  type LostMessage,
  type ReleaseMessage,
} from './diagnostics/channels.js';
export {
  AcquireTimeoutError,
  ERROR_CODES,
  InvalidArgumentError,
  isLockstepError,
  isRedisRefusal,
  type LeaseLossReason,
  LeaseLostError,
  LockstepError,
  type LockstepErrorCode,
  type LockstepErrorOptions,
  QueueFullError,
  QuorumError,
  type QuorumNodeOutcome,
  type QuorumNodeResult,
  RedisUnavailableError,
} from './errors.js';
export { Lease, type LeaseHandle, type LeaseKind, type LostCallback } from './lease/lease.js';
export { type AcquireOptions, DEFAULT_ACQUIRE_OPTIONS, type TryAcquireOptions } from './limiter/acquire-options.js';
export type { Limiter } from './limiter/limiter.js';
export { Lock } from './lock/lock.js';
export type { LockState } from './lock/lock-engine.js';
export { DEFAULT_LOCK_OPTIONS, type LockOptions } from './lock/lock-options.js';
export { Lockstep } from './lockstep.js';
export type { LockstepLike } from './lockstep-like.js';
export {
  DEFAULT_LOCKSTEP_OPTIONS,
  DEFAULT_QUORUM_OPTIONS,
  LOCKSTEP_OPTION_NAMES,
  type LockstepOptions,
  type QuorumOptions,
} from './lockstep-options.js';
export { MultiLease } from './multi/multi-lease.js';
export { MAX_LOCK_ALL_NAMES, MultiLock } from './multi/multi-lock.js';
export type { RedisClient } from './redis/scripts.js';
export {
  Semaphore,
  type SemaphoreHolder,
  type SemaphoreState,
  type SemaphoreWaiter,
} from './semaphore/semaphore.js';
export {
  DEFAULT_SEMAPHORE_OPTIONS,
  type SemaphoreAcquireOptions,
  type SemaphoreOptions,
  type SemaphoreTryAcquireOptions,
} from './semaphore/semaphore-options.js';
export { assertKnownOptions } from './util/option-names.js';
// Option checks shared with the integrations, so they reject bad input with the same wording.
export { checkInteger, describe as describeValue, MAX_TIMER_MS } from './util/validate.js';
