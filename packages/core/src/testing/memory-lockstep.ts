// A Lockstep with no Redis: the same Lock, Semaphore and Lease objects over in-memory queues.
import { InvalidArgumentError, LockstepError, type LockstepError as LockstepErrorType } from '../errors.js';
import { DETACH, type Lease } from '../lease/lease.js';
import type { Lock } from '../lock/lock.js';
import type { LockOptions } from '../lock/lock-options.js';
import type { LockstepLike } from '../lockstep-like.js';
import { DEFAULT_LOCKSTEP_OPTIONS } from '../lockstep-options.js';
import { lockAllWith, type MultiLock } from '../multi/multi-lock.js';
import type { Semaphore } from '../semaphore/semaphore.js';
import type { SemaphoreOptions } from '../semaphore/semaphore-options.js';
import { checkName } from '../util/names.js';
import { assertKnownOptions } from '../util/option-names.js';
import { checkFunction, checkNumber, checkOptions } from '../util/validate.js';
import type { MemoryRuntime } from './memory-acquire.js';
import { memoryLock } from './memory-lock.js';
import { MemoryQueue } from './memory-queue.js';
import { memorySemaphore } from './memory-semaphore.js';

/** Options of {@link createMemoryLockstep}. */
export interface MemoryLockstepOptions {
  /**
   * Share of the TTL subtracted from every validity window (plus 2 ms), as in `Lockstep`.
   * @defaultValue 0.01
   */
  readonly driftFactor?: number | undefined;
  /** Receives background errors (a throwing `onLost`). They are never thrown at the event loop. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

const KNOWN_OPTIONS: readonly string[] = Object.freeze(['driftFactor', 'onError']);

/**
 * The in-memory Lockstep returned by {@link createMemoryLockstep}: real `Lock`, `Semaphore` and
 * `Lease` objects whose state lives in this process.
 */
export class MemoryLockstep implements LockstepLike {
  readonly #queues = new Map<string, MemoryQueue>();
  readonly #leases = new Set<Lease>();
  readonly #waits = new Set<(error: LockstepErrorType) => void>();
  readonly #runtime: MemoryRuntime;
  #closed = false;

  /** @internal Use {@link createMemoryLockstep}. */
  constructor(options: MemoryLockstepOptions = {}) {
    const o = checkOptions('options', options);
    assertKnownOptions(o, KNOWN_OPTIONS, 'memory Lockstep options');
    const driftFactor = checkNumber('driftFactor', o.driftFactor ?? DEFAULT_LOCKSTEP_OPTIONS.driftFactor, 0, 0.5);
    const onError = o.onError === undefined ? () => undefined : checkFunction('onError', o.onError);
    this.#runtime = {
      drift: (ttlMs) => Math.floor(ttlMs * driftFactor) + 2,
      onError: (error) => {
        try {
          onError(error);
        } catch {
          // A throwing error handler must not become an unhandled exception either.
        }
      },
      assertOpen: () => {
        if (this.#closed) throw new LockstepError('ERR_CLOSED', 'This Lockstep instance is closed');
      },
      track: (lease) => this.#leases.add(lease),
      untrack: (lease) => this.#leases.delete(lease),
      onClose: (end) => {
        this.#waits.add(end);
        return () => this.#waits.delete(end);
      },
    };
  }

  /** Always false: memory has no quorum mode. */
  get isQuorum(): boolean {
    return false;
  }

  /**
   * Not available: the in-memory backend has no admin (listing, inspecting every name and
   * force-releasing work on Redis keys). Use `lock.inspect()` / `semaphore.inspect()` in tests, or a
   * `Lockstep` on a test Redis where admin matters.
   *
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`, always
   */
  admin(): never {
    throw new InvalidArgumentError(
      'admin() is not available on the in-memory Lockstep of @lockstep/core/testing: it has no Redis keys to list or force-release; use lock.inspect() / semaphore.inspect(), or a Lockstep on a test Redis',
    );
  }

  /** Always `undefined`: there is no Redis client (as `Lockstep.client` in quorum mode). */
  get client(): undefined {
    return undefined;
  }

  #queue(key: string): MemoryQueue {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new MemoryQueue();
      this.#queues.set(key, queue);
    }
    return queue;
  }

  /**
   * A mutex for `name`, as `Lockstep.lock()`.
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   */
  lock(name: string, options?: LockOptions): Lock {
    this.#runtime.assertOpen();
    checkName(name);
    return memoryLock(name, options, (key) => this.#queue(key), this.#runtime);
  }

  /**
   * Several locks taken together, as `Lockstep.lockAll()` (canonical order, all or nothing).
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   */
  lockAll(names: readonly string[], options?: LockOptions): MultiLock {
    this.#runtime.assertOpen();
    return lockAllWith(names, (name) => this.lock(name, options));
  }

  /**
   * A counting semaphore for `name`, as `Lockstep.semaphore()`.
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   */
  semaphore(name: string, options: SemaphoreOptions): Semaphore {
    this.#runtime.assertOpen();
    checkName(name);
    return memorySemaphore(name, options, (key) => this.#queue(key), this.#runtime);
  }

  /**
   * Stops every auto-extension and expiry timer and ends waits in progress with `ERR_CLOSED`.
   * Leases are not released, as with `Lockstep.close()`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const lease of this.#leases) lease[DETACH]();
    this.#leases.clear();
    for (const queue of this.#queues.values()) queue.dispose();
    const closed = new LockstepError('ERR_CLOSED', 'This Lockstep instance is closed');
    for (const end of [...this.#waits]) end(closed);
  }
}

/**
 * A Lockstep that runs in this process with no Redis, for your unit tests. It enforces what the
 * real one does: mutual exclusion and limits, priority then arrival order, TTL expiry (a lease that
 * is not extended is lost: `signal` aborts and `onLost` fires), auto-extension, strictly increasing
 * fences, `waitMs`, `AbortSignal`, `maxWaiters`, weights, `setLimit()` and the same errors. Time is
 * read through the globals at call time, so fake timers that fake `performance`, `Date` and
 * `setTimeout` (vitest's and sinon's defaults) can expire leases.
 *
 * @param options - `driftFactor`, `onError`
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a bad option
 * @example
 * ```ts
 * import { createMemoryLockstep } from '@lockstep/core/testing';
 * const lockstep = createMemoryLockstep();
 * await lockstep.lock('invoice:42').withLock(async (lease) => charge(42, lease.fence));
 * ```
 */
export function createMemoryLockstep(options?: MemoryLockstepOptions): MemoryLockstep {
  return new MemoryLockstep(options);
}
