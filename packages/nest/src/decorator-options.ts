// Options of @Locked and @Limited: shapes, defaults, and validation when the decorator is applied.
import { InvalidArgumentError } from '@lockstep/core';
import { checkBool, checkInt, checkKeys, describe, suggest } from './validate.js';

/**
 * What a decorated call does when the lock or permits are taken:
 * - `'wait'`: wait up to `waitMs`, then throw `ERR_ACQUIRE_TIMEOUT`;
 * - `'skip'`: resolve `undefined` without running the method;
 * - `'throw'`: throw `ERR_ACQUIRE_TIMEOUT` at once, never waiting.
 */
export type OnBusy = 'wait' | 'skip' | 'throw';

/** A fixed name, or a function of the decorated method's arguments that returns one. */
export type KeySource<A extends unknown[]> = string | ((...args: A) => string);

/** Options both decorators share. */
export interface GuardOptions {
  /**
   * Lease length in ms: how long the lock or permit stays taken if this process stops extending it.
   * @defaultValue 10_000
   */
  readonly ttlMs?: number | undefined;
  /**
   * With `onBusy: 'wait'`: how long to wait in ms before throwing `ERR_ACQUIRE_TIMEOUT`. Not
   * allowed with `'skip'` or `'throw'`, which never wait.
   * @defaultValue 10_000
   */
  readonly waitMs?: number | undefined;
  /**
   * Extend the lease in the background while the method runs.
   * @defaultValue true
   */
  readonly autoExtend?: boolean | undefined;
  /**
   * What to do when the lock or permits are taken.
   * @defaultValue 'wait'
   */
  readonly onBusy?: OnBusy | undefined;
  /**
   * Most callers queued at once on this name; one more gets `ERR_QUEUE_FULL` (HTTP 503).
   * @defaultValue 10_000
   */
  readonly maxWaiters?: number | undefined;
}

/** Options of {@link Locked}. */
export interface LockedOptions extends GuardOptions {
  /**
   * ShedLock's "lock at least for", in ms: after a run that ended sooner, the lock stays held until
   * this much time has passed since the grant (it then expires by itself). A replica whose clock is
   * behind, or whose timer fires late, finds it held and skips the tick instead of running it again.
   * Keep it below the schedule's period minus the worst clock skew.
   * @defaultValue 0 (release as soon as the method settles)
   */
  readonly minHoldMs?: number | undefined;
}

/** Options of {@link Limited}. */
export interface LimitedOptions<A extends unknown[] = never[]> extends GuardOptions {
  /** Calls allowed to run at once across every process (weighted), 1 to 1,000,000. */
  readonly limit: number;
  /**
   * Priority of a call: a number in [-2^20, 2^20], a class name from `priorities`, or a function of
   * the method's arguments returning one. Higher is served first; equal priorities are FIFO.
   * @defaultValue the semaphore's default priority
   */
  readonly priority?: number | string | ((...args: A) => number | string) | undefined;
  /** Named priority classes, highest first, e.g. `['critical', 'default', 'bulk']`. */
  readonly priorities?: readonly string[] | undefined;
  /** Priority of calls that give none: a number or a class name. */
  readonly defaultPriority?: number | string | undefined;
  /**
   * Permits one call takes: a number or a function of the method's arguments.
   * @defaultValue 1
   */
  readonly weight?: number | ((...args: A) => number) | undefined;
  /**
   * Each `agingMs` of waiting is worth +1 priority, so low priorities are served eventually.
   * @defaultValue 0 (off)
   */
  readonly agingMs?: number | undefined;
}

/** Options after validation, with defaults filled in. */
export interface ResolvedGuardOptions {
  readonly ttlMs: number | undefined;
  readonly waitMs: number | undefined;
  readonly autoExtend: boolean;
  readonly onBusy: OnBusy;
  readonly maxWaiters: number | undefined;
  readonly minHoldMs: number;
  readonly limit: number;
  readonly priority: unknown;
  readonly priorities: readonly string[] | undefined;
  readonly defaultPriority: number | string | undefined;
  readonly weight: unknown;
  readonly agingMs: number | undefined;
}

/** Defaults of the decorator options. */
export const DEFAULT_GUARD_OPTIONS = Object.freeze({ autoExtend: true, onBusy: 'wait' as OnBusy, minHoldMs: 0 });

const SHARED = ['ttlMs', 'waitMs', 'autoExtend', 'onBusy', 'maxWaiters'] as const;
const LOCKED_KEYS: readonly string[] = [...SHARED, 'minHoldMs'];
const LIMITED_KEYS: readonly string[] = [
  ...SHARED,
  'limit',
  'priority',
  'priorities',
  'defaultPriority',
  'weight',
  'agingMs',
];

function checkOnBusy(where: string, value: unknown): OnBusy {
  if (value === undefined) return DEFAULT_GUARD_OPTIONS.onBusy;
  if (value === 'wait' || value === 'skip' || value === 'throw') return value;
  throw new InvalidArgumentError(
    `${where}: expected \`onBusy\` to be 'wait', 'skip' or 'throw', got ${describe(value)}`,
  );
}

/** Highest absolute priority, as in core: integers in [-2^20, 2^20]. */
const MAX_PRIORITY = 1_048_576;

/**
 * A number (an integer in [min, max], as core requires, so a bad one fails here rather than on every
 * call), a function of the arguments, or with `allowString` a class name.
 */
function checkNumberOrFn(
  where: string,
  name: string,
  value: unknown,
  allowString: boolean,
  [min, max]: readonly [number, number],
): unknown {
  if (value === undefined || typeof value === 'function') return value;
  if (typeof value === 'number') return checkInt(where, name, value, min, max);
  if (allowString && typeof value === 'string') return value;
  const kinds = allowString ? 'a number, a class name or a function' : 'a number or a function';
  throw new InvalidArgumentError(`${where}: expected \`${name}\` to be ${kinds}, got ${describe(value)}`);
}

/**
 * A fixed class name given as `priority` or `defaultPriority` must be one of `priorities`: checked
 * when the class is defined, not on every call (where it would reject each call with a 500).
 */
function checkPriorityClass(where: string, name: string, value: unknown, priorities: readonly string[] | undefined) {
  if (typeof value !== 'string' || priorities?.includes(value)) return;
  if (priorities === undefined || priorities.length === 0) {
    throw new InvalidArgumentError(
      `${where}: \`${name}\` is the class name ${describe(value)} but no \`priorities\` are given; give a number, or list the classes in \`priorities\``,
    );
  }
  const close = suggest(value, priorities);
  throw new InvalidArgumentError(
    `${where}: unknown priority class ${describe(value)} for \`${name}\`${close ? ` (did you mean ${describe(close)}?)` : ''}; \`priorities\` are ${priorities.map((p) => describe(p)).join(', ')}`,
  );
}

/** Named priority classes as core accepts them: 1 to 1,000 distinct non-empty names. */
function checkPriorities(where: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > 1_000 ||
    value.some((p, i) => typeof p !== 'string' || p.length === 0 || value.indexOf(p) !== i)
  ) {
    throw new InvalidArgumentError(
      `${where}: expected \`priorities\` to be a non-empty array of distinct non-empty strings (at most 1000), got ${describe(value)}`,
    );
  }
  return value as readonly string[];
}

/**
 * What a `weight` or `priority` function returned for one call, checked as the fixed option is at
 * definition, so a bad value fails that call with `ERR_INVALID_ARGUMENT` naming the method and the
 * option (rather than core's message, which names neither).
 */
export function checkPerCall(
  where: string,
  name: 'weight' | 'priority',
  value: unknown,
  o: Pick<ResolvedGuardOptions, 'limit' | 'priorities'>,
): number | string | undefined {
  if (value === undefined) return undefined;
  const bad = (expected: string) =>
    new InvalidArgumentError(
      `${where}: expected the value its \`${name}\` function returned to be ${expected}, got ${describe(value)}`,
    );
  const isIntIn = (min: number, max: number) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
  if (name === 'weight') {
    if (!isIntIn(1, o.limit)) throw bad(`an integer from 1 to ${o.limit} (the limit)`);
    return value as number;
  }
  if (typeof value === 'number') {
    if (!isIntIn(-MAX_PRIORITY, MAX_PRIORITY)) throw bad(`an integer from ${-MAX_PRIORITY} to ${MAX_PRIORITY}`);
    return value;
  }
  if (typeof value !== 'string') throw bad('a number or a class name');
  checkPriorityClass(where, name, value, o.priorities);
  return value;
}

/** Validates the options of `@Locked` (`kind: 'lock'`) or `@Limited` (`kind: 'limit'`). */
export function resolveGuardOptions(where: string, kind: 'lock' | 'limit', options: unknown): ResolvedGuardOptions {
  const o = checkKeys(where, options, kind === 'lock' ? LOCKED_KEYS : LIMITED_KEYS);
  const onBusy = checkOnBusy(where, o.onBusy);
  const waitMs = checkInt(where, 'waitMs', o.waitMs, 0);
  if (waitMs !== undefined && onBusy !== 'wait') {
    throw new InvalidArgumentError(`${where}: \`waitMs\` needs onBusy 'wait'; onBusy '${onBusy}' never waits`);
  }
  const limit = kind === 'limit' ? checkInt(where, 'limit', o.limit, 1, 1_000_000) : 1;
  if (limit === undefined) throw new InvalidArgumentError(`${where}: \`limit\` is required, got undefined`);
  const priorities = checkPriorities(where, o.priorities);
  const defaultPriority = o.defaultPriority;
  if (defaultPriority !== undefined && typeof defaultPriority !== 'number' && typeof defaultPriority !== 'string') {
    throw new InvalidArgumentError(
      `${where}: expected \`defaultPriority\` to be a number or a class name, got ${describe(defaultPriority)}`,
    );
  }
  if (typeof defaultPriority === 'number')
    checkInt(where, 'defaultPriority', defaultPriority, -MAX_PRIORITY, MAX_PRIORITY);
  checkPriorityClass(where, 'priority', o.priority, priorities);
  checkPriorityClass(where, 'defaultPriority', defaultPriority, priorities);
  return {
    ttlMs: checkInt(where, 'ttlMs', o.ttlMs, 10),
    waitMs,
    autoExtend: checkBool(where, 'autoExtend', o.autoExtend) ?? DEFAULT_GUARD_OPTIONS.autoExtend,
    onBusy,
    maxWaiters: checkInt(where, 'maxWaiters', o.maxWaiters, 0, 10_000_000),
    minHoldMs: checkInt(where, 'minHoldMs', o.minHoldMs, 0) ?? DEFAULT_GUARD_OPTIONS.minHoldMs,
    limit,
    priority: checkNumberOrFn(where, 'priority', o.priority, true, [-MAX_PRIORITY, MAX_PRIORITY]),
    priorities,
    defaultPriority,
    weight: checkNumberOrFn(where, 'weight', o.weight, false, [1, limit]),
    agingMs: checkInt(where, 'agingMs', o.agingMs, 0, 1_048_576),
  };
}
