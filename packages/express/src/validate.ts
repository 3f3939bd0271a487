// Option checks that run once, when the middleware is created; each failure names the option and value.
// Integers, `MAX_TIMER_MS` and value rendering come from @lockstep/core; these two are express-only.
import { describeValue, InvalidArgumentError } from '@lockstep/core';

/** Throws unless `value` is undefined or a function. */
export function checkOptionalFunction<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a function, got ${describeValue(value)}`);
  }
  return value;
}

/** Throws unless `value` is undefined or a boolean. */
export function checkOptionalBoolean(option: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a boolean, got ${describeValue(value)}`);
  }
  return value;
}
