// The settings every lock and semaphore name has: lease TTL, waiter TTL and queue bound.
import { orDefault } from '../util/option-names.js';
import { checkInteger, MAX_TIMER_MS } from '../util/validate.js';
import { MIN_TTL_MS } from './acquire-options.js';

/** `ttlMs`, `waiterTtlMs` and `maxWaiters` of one name, validated. */
export interface NameSettings {
  readonly ttlMs: number;
  readonly waiterTtlMs: number;
  readonly maxWaiters: number;
}

/** Validates the per-name settings of lock or semaphore options `o`, filling in `defaults`. */
export function resolveNameSettings(
  o: { readonly ttlMs?: unknown; readonly waiterTtlMs?: unknown; readonly maxWaiters?: unknown },
  defaults: NameSettings,
): NameSettings {
  return {
    ttlMs: checkInteger('ttlMs', orDefault(o.ttlMs, defaults.ttlMs), MIN_TTL_MS, MAX_TIMER_MS),
    waiterTtlMs: checkInteger('waiterTtlMs', orDefault(o.waiterTtlMs, defaults.waiterTtlMs), 300, MAX_TIMER_MS),
    maxWaiters: checkInteger('maxWaiters', orDefault(o.maxWaiters, defaults.maxWaiters), 0, 10_000_000),
  };
}
