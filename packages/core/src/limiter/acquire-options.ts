// Options of each acquisition (locks and semaphores alike): defaults, and validation before any I/O.
import { InvalidArgumentError } from '../errors.js';
import type { LostCallback } from '../lease/lease.js';
import { CORE_OPTION_PLACES, checkOptionNames, orDefault } from '../util/option-names.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkOptions,
  checkSignal,
  MAX_TIMER_MS,
} from '../util/validate.js';
import type { AcquireRequest } from '../waiting/contender.js';

/** Shortest accepted lease TTL, in ms. */
export const MIN_TTL_MS = 10;

/** Options of one `acquire()` call. */
export interface AcquireOptions {
  /**
   * How long to wait for the lock, in ms. `0` tries once and throws `ERR_ACQUIRE_TIMEOUT` if it
   * is held.
   * @defaultValue 10_000
   */
  readonly waitMs?: number | undefined;
  /** Aborts the wait (`ERR_ABORTED`); whatever was granted meanwhile is given back. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Extend the lease in the background (at about a third of its TTL) until it is released.
   * @defaultValue false for `acquire()`, true for `withLock()` / `withPermit()`
   */
  readonly autoExtend?: boolean | undefined;
  /** Called once if the lease is lost; `lease.signal` aborts at the same time. */
  readonly onLost?: LostCallback | undefined;
}

/** Options of `tryAcquire()`: it never waits. */
export type TryAcquireOptions = Omit<AcquireOptions, 'waitMs'>;

/** Defaults of {@link AcquireOptions}. */
export const DEFAULT_ACQUIRE_OPTIONS = Object.freeze({ waitMs: 10_000, autoExtend: false });

/** Every option name of {@link AcquireOptions} (a lock's acquisitions; semaphores add their own). */
export const ACQUIRE_OPTION_NAMES: readonly string[] = Object.freeze(['waitMs', 'signal', 'autoExtend', 'onLost']);

/**
 * `tryAcquire()` never waits: a `waitMs` given to it is an error. An explicit `waitMs: undefined`
 * (a config value passed through) is absent, as everywhere else.
 */
export function assertNoWait(options: unknown): void {
  if ((options as { readonly waitMs?: unknown } | null | undefined)?.waitMs !== undefined) {
    throw new InvalidArgumentError('`tryAcquire()` never waits: pass `waitMs` to `acquire()` instead');
  }
}

/**
 * Validates the options of one acquisition. `known` lists the accepted names: a lock's
 * acquisitions take {@link ACQUIRE_OPTION_NAMES}, a semaphore's also `priority` and `weight`.
 */
export function resolveAcquireOptions(
  options: AcquireOptions | undefined,
  defaults: { readonly waitMs: number; readonly autoExtend: boolean; readonly orNull: boolean },
  known: readonly string[] = ACQUIRE_OPTION_NAMES,
): AcquireRequest {
  if (options === undefined) {
    return {
      waitMs: defaults.waitMs,
      signal: undefined,
      autoExtend: defaults.autoExtend,
      onLost: undefined,
      orNull: defaults.orNull,
    };
  }
  const o = checkOptions('options', options);
  checkOptionNames(o, known, 'acquire options', CORE_OPTION_PLACES);
  return {
    waitMs: checkInteger('waitMs', orDefault(o.waitMs, defaults.waitMs), 0, MAX_TIMER_MS),
    signal: o.signal === undefined ? undefined : checkSignal('signal', o.signal),
    autoExtend: checkBoolean('autoExtend', orDefault(o.autoExtend, defaults.autoExtend)),
    onLost: o.onLost === undefined ? undefined : checkFunction('onLost', o.onLost),
    orNull: defaults.orNull,
  };
}
