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

/**
 * Throws on an option name that is not in `known`, suggesting the closest known name
 * (`ttl` → `ttlMs`). Kept apart so a shared core helper can replace it.
 */
export function checkOptionNames(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const close = closest(key, known);
    const hint = close === undefined ? `known options: ${known.join(', ')}` : `did you mean \`${close}\`?`;
    throw new InvalidArgumentError(`Unknown ${what} option \`${key}\`: ${hint}`);
  }
}

/** The known name nearest to `name`: a case-insensitive match, a prefix, or within edit distance 2. */
function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    if (c === lower || (lower.length >= 3 && c.startsWith(lower))) return candidate;
    const d = editDistance(lower, c);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
