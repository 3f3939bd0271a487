// Argument checks that run before any Redis call; each failure names the option and the bad value.
import { InvalidArgumentError } from '../errors.js';

/**
 * Largest delay Node timers accept (about 24.8 days): the upper bound of every `…Ms` option.
 * Exported for integrations (`@lockstep/express`) that check their own options the same way.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A short, token-free rendering of a value for error messages (strings cut at 40 characters,
 * arrays and objects by kind only). Exported as `describeValue` for integrations' own option checks.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'function') return 'a function';
  return (value as object).constructor?.name ?? 'an object';
}

/**
 * Returns `value` when it is an integer in [min, max] (both inclusive); exported for integrations'
 * own option checks.
 * @throws {@link InvalidArgumentError} (`ERR_INVALID_ARGUMENT`) naming `option` and the value otherwise.
 */
export function checkInteger(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `Expected \`${option}\` to be an integer from ${min} to ${max}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a finite number in [min, max]. */
export function checkNumber(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `Expected \`${option}\` to be a number from ${min} to ${max}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless `value` is a function. */
export function checkFunction<T>(option: string, value: T): T {
  if (typeof value !== 'function') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a function, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless `value` is an AbortSignal. */
export function checkSignal(option: string, value: unknown): AbortSignal {
  if (!(value instanceof AbortSignal)) {
    throw new InvalidArgumentError(`Expected \`${option}\` to be an AbortSignal, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless `value` is a plain options object (or undefined, which becomes `{}`). */
export function checkOptions<T extends object>(option: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`Expected \`${option}\` to be an object, got ${describe(value)}`);
  }
  return value;
}
