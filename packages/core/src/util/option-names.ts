// Unknown option names are errors, with the close known name suggested: a misspelled option must
// never silently fall back to a default (`{ ttl: 60_000 }` would otherwise give a 10 s lease).
import { InvalidArgumentError } from '../errors.js';
import { describe } from './validate.js';

/** Names other libraries use for the same thing (redlock, redis-semaphore, p-limit, express-queue, murlock and others). */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  ttl: ['ttlMs'],
  duration: ['ttlMs'],
  lockTimeout: ['ttlMs'],
  expire: ['ttlMs'],
  expires: ['ttlMs'],
  timeout: ['waitMs', 'requestTimeoutMs'],
  timeoutMs: ['waitMs', 'requestTimeoutMs'],
  acquireTimeout: ['waitMs'],
  wait: ['waitMs'],
  waitTimeout: ['waitMs'],
  retryCount: ['waitMs'],
  concurrency: ['limit'],
  activeLimit: ['limit'],
  permits: ['limit', 'weight'],
  max: ['limit'],
  maxQueue: ['maxWaiters'],
  queueLimit: ['maxWaiters'],
  queuedLimit: ['maxWaiters'],
  client: ['redis'],
  clients: ['redis'],
  keyPrefix: ['prefix'],
  lockKeyPrefix: ['prefix'],
};

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** The known name `key` most likely meant, if one is close: an alias, a case slip, a missing unit, a typo. */
export function closestOption(key: string, known: readonly string[]): string | undefined {
  const alias = ALIASES[key]?.find((name) => known.includes(name));
  if (alias) return alias;
  const lower = key.toLowerCase();
  const byCase = known.find((name) => name.toLowerCase() === lower);
  if (byCase) return byCase;
  if (key.length >= 3) {
    const byPrefix = known.find((name) => name.toLowerCase().startsWith(lower));
    if (byPrefix) return byPrefix;
  }
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
  for (const name of known) {
    const d = distance(lower, name.toLowerCase());
    if (d <= bestDistance) {
      best = name;
      bestDistance = d - 1;
    }
  }
  return best;
}

/**
 * Throws `ERR_INVALID_ARGUMENT` ({@link InvalidArgumentError}) if `options` has an own key that is
 * not in `known`. The message names the key, its value (token-free) and, when one is close, the
 * known name it was probably meant to be (`ttl` → `ttlMs`). Call it before any I/O, in every
 * resolver of an options object: Lockstep's integration packages use it for their own options.
 *
 * @param options - the object the caller passed; `undefined` passes (nothing to check)
 * @param known - every accepted option name
 * @param label - how messages name the object, e.g. `'lock options'`
 * @throws {@link InvalidArgumentError} for an unknown option name
 * @example
 * ```ts
 * assertKnownOptions(options, ['name', 'waitMs', 'ttlMs'], '@WithLock() options');
 * ```
 */
export function assertKnownOptions(options: object | undefined, known: readonly string[], label = 'options'): void {
  if (options === undefined || options === null || typeof options !== 'object') return;
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const value = describe((options as Record<string, unknown>)[key]);
    const close = closestOption(key, known);
    const hint = close ? `did you mean \`${close}\`?` : `expected one of ${known.map((k) => `\`${k}\``).join(', ')}`;
    throw new InvalidArgumentError(`Unknown option \`${key}\` in ${label} (got ${value}): ${hint}`);
  }
}

/** `value`, or `fallback` when it is `undefined` (never for `null`: that is checked, and rejected). */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/**
 * `T` with every option given: `Required<T>` that also drops the `| undefined` an optional option
 * accepts (with `exactOptionalPropertyTypes`, `Required` keeps it), for defaults and resolved options.
 */
export type Filled<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
