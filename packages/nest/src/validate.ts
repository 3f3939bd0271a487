// Option checks for decorators and the module: typed errors that name the place, option and value.
import { assertKnownOptions, InvalidArgumentError } from '@lockstep/core';

/** Longest lease or wait Node timers can represent, in ms. */
export const MAX_MS = 2_147_483_647;

/** A short, token-free description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + cost);
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** The known name closest to `key`, if close enough to be a typo (`ttl` -> `ttlMs`). */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const score = name.toLowerCase().startsWith(key.toLowerCase()) ? 0.5 : distance(key, name);
    if (score < bestScore) {
      best = name;
      bestScore = score;
    }
  }
  return bestScore <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Checks that `options` is a plain object with only `known` keys; returns it as a record. */
export function checkKeys(where: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${where}: expected options to be an object, got ${describe(options)}`);
  }
  assertKnownOptions(options, known, `${where} options`);
  return options as Record<string, unknown>;
}

/** `value` if it is undefined or an integer in [min, max]. */
export function checkInt(where: string, name: string, value: unknown, min: number, max = MAX_MS): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${where}: expected \`${name}\` to be an integer from ${min} to ${max}, got ${describe(value)}`,
    );
  }
  return value;
}

/** `value` if it is undefined or a boolean. */
export function checkBool(where: string, name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new InvalidArgumentError(`${where}: expected \`${name}\` to be a boolean, got ${describe(value)}`);
}
