// Options of one lock name: defaults, and validation before any I/O.
import { resolveNameSettings } from '../limiter/name-options.js';
import { CORE_OPTION_PLACES, checkOptionNames, type Filled } from '../util/option-names.js';
import { checkOptions } from '../util/validate.js';

/** Options of one lock name, given to `lockstep.lock(name, options)`. */
export interface LockOptions {
  /**
   * Lease length in ms: how long the lock stays held if its holder stops extending it (a crash).
   * @defaultValue 10_000
   */
  readonly ttlMs?: number | undefined;
  /**
   * A queued waiter that has not refreshed its place for this long (it died) is purged and never
   * granted. Waiters refresh about every third of it.
   * @defaultValue 10_000
   */
  readonly waiterTtlMs?: number | undefined;
  /**
   * Most waiters queued at once on this name; one more gets `ERR_QUEUE_FULL`.
   * @defaultValue 10_000
   */
  readonly maxWaiters?: number | undefined;
}

/** Defaults of {@link LockOptions}. */
export const DEFAULT_LOCK_OPTIONS: Readonly<Filled<LockOptions>> = Object.freeze({
  ttlMs: 10_000,
  waiterTtlMs: 10_000,
  maxWaiters: 10_000,
});

/** Every option name of {@link LockOptions}. */
export const LOCK_OPTION_NAMES: readonly string[] = Object.freeze(['ttlMs', 'waiterTtlMs', 'maxWaiters']);

/** Validates lock options and fills in defaults. */
export function resolveLockOptions(options: LockOptions | undefined): Filled<LockOptions> {
  const o = checkOptions('options', options);
  checkOptionNames(o, LOCK_OPTION_NAMES, 'lock options', CORE_OPTION_PLACES);
  return resolveNameSettings(o, DEFAULT_LOCK_OPTIONS);
}
