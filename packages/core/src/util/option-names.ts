// Unknown option names are errors, with the close known name suggested: a misspelled option must
// never silently fall back to a default (`{ ttl: 60_000 }` would otherwise give a 10 s lease).
import { InvalidArgumentError } from '../errors.js';
import { describe } from './validate.js';

/**
 * Names other libraries use for the same thing (redlock, redis-semaphore, p-limit, express-queue,
 * murlock, Bottleneck and others).
 */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  ttl: ['ttlMs'],
  duration: ['ttlMs'],
  lockTimeout: ['ttlMs'],
  releaseTime: ['ttlMs'],
  expire: ['ttlMs'],
  expires: ['ttlMs'],
  timeout: ['waitMs', 'requestTimeoutMs'],
  timeoutMs: ['waitMs', 'requestTimeoutMs'],
  acquireTimeout: ['waitMs'],
  wait: ['waitMs'],
  waitTimeout: ['waitMs'],
  retryCount: ['waitMs'],
  maxAttempts: ['waitMs'],
  acquireAttemptsLimit: ['waitMs'],
  refreshInterval: ['autoExtend'],
  automaticExtensionThreshold: ['autoExtend'],
  onLockLost: ['onLost'],
  concurrency: ['limit'],
  maxConcurrent: ['limit'],
  activeLimit: ['limit'],
  permits: ['limit', 'weight'],
  priority: ['priorities'],
  max: ['limit'],
  maxQueue: ['maxWaiters'],
  highWater: ['maxWaiters'],
  queueLimit: ['maxWaiters'],
  queuedLimit: ['maxWaiters'],
  client: ['redis'],
  clients: ['redis'],
  keyPrefix: ['prefix'],
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
  checkOptionNames(options, known, label, undefined);
}

const CREATE = 'lockstep.lock(name, options) and lockstep.semaphore(name, options)';
const SEMAPHORE = 'lockstep.semaphore(name, options)';
const WAIT = 'acquire(), withLock() and withPermit()';
const ACQUIRE = 'acquire(), tryAcquire(), withLock() and withPermit()';
const PERMIT = "a semaphore's acquire(), tryAcquire() and withPermit()";
const LOCKSTEP = 'new Lockstep(options)';

/**
 * Which call takes each of core's options, for an option given to another one: redis-semaphore's
 * `new Mutex(client, key, options)` takes the TTL, the wait and the loss callback in one object,
 * which Lockstep splits between `lock()` and `acquire()`.
 */
export const CORE_OPTION_PLACES: Readonly<Record<string, string>> = {
  ttlMs: CREATE,
  waiterTtlMs: CREATE,
  maxWaiters: CREATE,
  limit: SEMAPHORE,
  priorities: SEMAPHORE,
  defaultPriority: SEMAPHORE,
  agingMs: SEMAPHORE,
  waitMs: WAIT,
  signal: ACQUIRE,
  autoExtend: ACQUIRE,
  onLost: ACQUIRE,
  priority: PERMIT,
  weight: PERMIT,
  prefix: LOCKSTEP,
  requestTimeoutMs: LOCKSTEP,
  driftFactor: LOCKSTEP,
  onError: LOCKSTEP,
  stats: LOCKSTEP,
  quorum: LOCKSTEP,
};

/**
 * {@link assertKnownOptions}, and with `places` (core's own options objects) an option of another
 * call, or a peer's name for one, is answered with the call that takes it.
 */
export function checkOptionNames(
  options: object | undefined,
  known: readonly string[],
  label: string,
  places: Readonly<Record<string, string>> | undefined,
): void {
  if (options === undefined || options === null || typeof options !== 'object') return;
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const value = describe((options as Record<string, unknown>)[key]);
    throw new InvalidArgumentError(`Unknown option \`${key}\` in ${label} (got ${value}): ${hint(key, known, places)}`);
  }
}

function hint(key: string, known: readonly string[], places: Readonly<Record<string, string>> | undefined): string {
  const place = places && Object.hasOwn(places, key) ? places[key] : undefined;
  const close = closestOption(key, known);
  if (close && place) return `did you mean \`${close}\`? (\`${key}\` is an option of ${place})`;
  if (place) return `\`${key}\` is an option of ${place}`;
  if (close) return `did you mean \`${close}\`?`;
  const elsewhere = places ? ALIASES[key]?.find((name) => Object.hasOwn(places, name)) : undefined;
  if (elsewhere) return `Lockstep calls it \`${elsewhere}\`, an option of ${places?.[elsewhere]}`;
  return `expected one of ${known.map((k) => `\`${k}\``).join(', ')}`;
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
