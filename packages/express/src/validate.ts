// Option checks that run once, when the middleware is created; each failure names the option and value.
import { InvalidArgumentError } from '@lockstep/core';

/** Largest delay Node timers accept (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/** A short rendering of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'function') return 'a function';
  return (value as object).constructor?.name ?? 'an object';
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `Expected \`${option}\` to be an integer from ${min} to ${max}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is undefined or a function. */
export function checkOptionalFunction<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a function, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless `value` is undefined or a boolean. */
export function checkOptionalBoolean(option: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}
