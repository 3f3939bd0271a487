// The surface of a Lockstep that integrations take, so a test can hand them the in-memory one.
import type { Lock } from './lock/lock.js';
import type { LockOptions } from './lock/lock-options.js';
import type { MultiLock } from './multi/multi-lock.js';
import type { Semaphore } from './semaphore/semaphore.js';
import type { SemaphoreOptions } from './semaphore/semaphore-options.js';

/**
 * What both `Lockstep` and the in-memory backend of `@lockstep/core/testing` offer. Take this type
 * (not the `Lockstep` class) wherever a test may pass `createMemoryLockstep()`.
 */
export interface LockstepLike {
  /** True in quorum mode (several independent servers); always false in memory. */
  readonly isQuorum: boolean;
  /**
   * A mutex for `name`.
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   */
  lock(name: string, options?: LockOptions): Lock;
  /**
   * Several locks taken together: canonical order (no deadlock), all or nothing.
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   */
  lockAll(names: readonly string[], options?: LockOptions): MultiLock;
  /**
   * A counting semaphore for `name` with `limit` weighted permits.
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   */
  semaphore(name: string, options: SemaphoreOptions): Semaphore;
  /** Stops timers and waits in progress; leases are not released (they expire with their TTL). */
  close(): Promise<void>;
}
