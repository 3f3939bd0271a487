// Options of semaphores and their acquisitions: defaults, priority classes and validation.
import { InvalidArgumentError } from '../errors.js';
import { ACQUIRE_OPTION_NAMES, type AcquireOptions } from '../limiter/acquire-options.js';
import { resolveNameSettings } from '../limiter/name-options.js';
import { CORE_OPTION_PLACES, checkOptionNames, orDefault } from '../util/option-names.js';
import { checkInteger, checkOptions, describe } from '../util/validate.js';

/** Highest absolute priority (priorities are integers in [-2^20, 2^20]). */
export const MAX_PRIORITY = 1_048_576;
/** Largest `agingMs`. */
export const MAX_AGING_MS = 1_048_576;
/** Largest `limit`. */
export const MAX_LIMIT = 1_000_000;

/** Options of one semaphore name, given to `lockstep.semaphore(name, options)`. */
export interface SemaphoreOptions {
  /** Permits available at once (weighted). Change it at run time with `setLimit()`. */
  readonly limit: number;
  /**
   * Lease length of a permit in ms: how long it stays taken if its holder stops extending it.
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
   * Most waiters queued at once; one more gets `ERR_QUEUE_FULL`.
   * @defaultValue 10_000
   */
  readonly maxWaiters?: number | undefined;
  /**
   * Named priority classes, highest first: `['critical', 'default', 'bulk']` makes `critical` 2,
   * `default` 1 and `bulk` 0, usable as `acquire({ priority: 'critical' })`. Numbers keep working.
   */
  readonly priorities?: readonly string[] | undefined;
  /**
   * Priority of an acquisition that gives none: a number or a class name. Without it, a class named
   * `default` is the default if there is one, else 0.
   */
  readonly defaultPriority?: number | string | undefined;
  /**
   * Aging: each `agingMs` of waiting is worth +1 priority, so every waiter is eventually served. A
   * waiter is never overtaken by one that arrived more than `agingMs × (P − p)` later, where `p` is
   * its priority and `P` the highest priority in use. 0 turns aging off. Every process using the
   * name must use the same value.
   * @defaultValue 0
   */
  readonly agingMs?: number | undefined;
}

/** Defaults of {@link SemaphoreOptions}. */
export const DEFAULT_SEMAPHORE_OPTIONS = Object.freeze({
  ttlMs: 10_000,
  waiterTtlMs: 10_000,
  maxWaiters: 10_000,
  agingMs: 0,
});

/** Options of one semaphore acquisition. */
export interface SemaphoreAcquireOptions extends AcquireOptions {
  /**
   * Higher is served first; equal priorities are served in arrival order. A number in
   * [-2^20, 2^20] or a class name from `priorities`.
   * @defaultValue the semaphore's default priority (0)
   */
  readonly priority?: number | string | undefined;
  /**
   * Permits to take at once, at most the limit.
   * @defaultValue 1
   */
  readonly weight?: number | undefined;
}

/** Every option name of {@link SemaphoreOptions}. */
export const SEMAPHORE_OPTION_NAMES: readonly string[] = Object.freeze([
  'limit',
  'ttlMs',
  'waiterTtlMs',
  'maxWaiters',
  'priorities',
  'defaultPriority',
  'agingMs',
]);

/** Every option name of {@link SemaphoreAcquireOptions}. */
export const SEMAPHORE_ACQUIRE_OPTION_NAMES: readonly string[] = Object.freeze([
  ...ACQUIRE_OPTION_NAMES,
  'priority',
  'weight',
]);

/** Options of `tryAcquire()` on a semaphore: it never waits. */
export type SemaphoreTryAcquireOptions = Omit<SemaphoreAcquireOptions, 'waitMs'>;

/** Semaphore options after validation. */
export interface ResolvedSemaphoreOptions {
  readonly limit: number;
  readonly ttlMs: number;
  readonly waiterTtlMs: number;
  readonly maxWaiters: number;
  readonly agingMs: number;
  readonly classes: ReadonlyMap<string, number>;
  readonly defaultPriority: number;
}

/** Validates semaphore options and fills in defaults. */
export function resolveSemaphoreOptions(options: SemaphoreOptions | undefined): ResolvedSemaphoreOptions {
  const o = checkOptions('options', options);
  checkOptionNames(o, SEMAPHORE_OPTION_NAMES, 'semaphore options', CORE_OPTION_PLACES);
  if (o.limit === undefined) {
    throw new InvalidArgumentError(`Expected \`limit\` to be given: an integer from 1 to ${MAX_LIMIT}`);
  }
  const classes = new Map<string, number>();
  if (o.priorities !== undefined) {
    const list = o.priorities;
    if (!Array.isArray(list) || list.length === 0 || list.length > 1_000) {
      throw new InvalidArgumentError(`Expected \`priorities\` to be a non-empty array of names, got ${describe(list)}`);
    }
    list.forEach((name: unknown, index) => {
      if (typeof name !== 'string' || name.length === 0 || classes.has(name)) {
        throw new InvalidArgumentError(
          `Expected \`priorities\` to hold distinct non-empty names, got ${describe(name)} at ${index}`,
        );
      }
      classes.set(name, list.length - 1 - index);
    });
  }
  const base = {
    limit: checkInteger('limit', o.limit, 1, MAX_LIMIT),
    ...resolveNameSettings(o, DEFAULT_SEMAPHORE_OPTIONS),
    agingMs: checkInteger('agingMs', orDefault(o.agingMs, DEFAULT_SEMAPHORE_OPTIONS.agingMs), 0, MAX_AGING_MS),
    classes,
    defaultPriority: 0,
  };
  const fallback = orDefault(o.defaultPriority, classes.has('default') ? 'default' : 0);
  return { ...base, defaultPriority: resolvePriority(fallback, classes, 'defaultPriority') };
}

/** Turns a priority (number or class name) into its number. */
export function resolvePriority(priority: unknown, classes: ReadonlyMap<string, number>, option = 'priority'): number {
  if (typeof priority === 'string') {
    const value = classes.get(priority);
    if (value === undefined) {
      const known = classes.size > 0 ? `one of ${[...classes.keys()].join(', ')}` : 'a number (no classes are defined)';
      throw new InvalidArgumentError(
        `Unknown priority class ${describe(priority)} for \`${option}\`: expected ${known}`,
      );
    }
    return value;
  }
  return checkInteger(option, priority, -MAX_PRIORITY, MAX_PRIORITY);
}
