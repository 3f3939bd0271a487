// Options of concurrencyLimit(): defaults, and one validation pass when the middleware is created.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  assertKnownOptions,
  checkInteger,
  describeValue,
  InvalidArgumentError,
  type LockstepError,
  type LockstepLike,
  MAX_TIMER_MS,
} from '@lockstep/core';
import type { NextFunction, RejectionInfo } from './types.js';
import { checkOptionalBoolean, checkOptionalFunction } from './validate.js';

/** A value fixed at creation, or computed per request (sync or async). */
export type PerRequest<Req, T> = T | ((req: Req) => T | Promise<T>);

/** Options of {@link concurrencyLimit}. */
export interface ConcurrencyLimitOptions<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> {
  /**
   * A core `Lockstep` on one Redis or a Cluster (semaphores do not run in quorum mode), or in tests
   * the in-memory one of `@lockstep/core/testing` (`createMemoryLockstep()`).
   */
  readonly lockstep: LockstepLike;
  /**
   * The semaphore name: a fixed string, or a function of the request (`(req) => \`exports:${tenant}\``).
   * One semaphore per name, shared by every process using the same Redis and `Lockstep` prefix.
   */
  readonly name: PerRequest<Req, string>;
  /**
   * Permits available at once for the name (weighted), or a function of the request (e.g. by plan).
   * Each request is admitted against the limit it computes; keep it a function of the name.
   */
  readonly limit: PerRequest<Req, number>;
  /**
   * Permits one request takes, at most its limit.
   * @defaultValue 1
   */
  readonly weight?: PerRequest<Req, number> | undefined;
  /**
   * Priority of the request among queued ones: a number (higher first) or a class from
   * `priorities`. Equal priorities are served in arrival order.
   * @defaultValue the first class named `default`, else 0
   */
  readonly priority?: PerRequest<Req, number | string> | undefined;
  /** Named priority classes, highest first: `['critical', 'default', 'bulk']`. */
  readonly priorities?: readonly string[] | undefined;
  /**
   * How long a request may wait in the queue for a permit, ms; then it is rejected. `0` never queues.
   * @defaultValue 10_000
   */
  readonly waitMs?: number | undefined;
  /**
   * Most requests queued at once per name, across every process; one more is rejected at once.
   * @defaultValue 1_000
   */
  readonly maxWaiters?: number | undefined;
  /**
   * Lease length of a permit, ms: how soon the permit of a crashed process comes back. It is
   * auto-extended (about every third of it) while the response is open.
   * @defaultValue 10_000
   */
  readonly ttlMs?: number | undefined;
  /**
   * Status of a rejection (busy, wait ran out, queue full). 503 is the semantic answer for
   * saturation; 429 if clients treat it as their own rate limit (see the README).
   * @defaultValue 503
   */
  readonly statusCode?: number | undefined;
  /**
   * Adds the IETF RateLimit fields for concurrency: `RateLimit-Policy` (`qu="concurrent-requests"`)
   * and `RateLimit` with the permits left. Costs one more Redis call per admitted request.
   * @defaultValue false
   */
  readonly standardHeaders?: boolean | undefined;
  /** Requests for which it returns true bypass the limit (no permit, no Redis call). */
  readonly skip?: ((req: Req, res: Res) => boolean | Promise<boolean>) | undefined;
  /**
   * Writes the rejection instead of the default problem+json answer. `Retry-After` (and the
   * RateLimit fields, with `standardHeaders`) are already set.
   */
  readonly handler?: ((req: Req, res: Res, next: NextFunction, info: RejectionInfo) => unknown) | undefined;
  /**
   * Called with store failures (`ERR_REDIS`, `ERR_CLOSED`, …) of an acquisition, and with errors of
   * background releases. Never thrown. Failed retries within `waitMs` and failed auto-extensions of
   * a permit go to the `Lockstep`'s own `onError`.
   */
  readonly onError?: ((error: LockstepError, req: Req) => void) | undefined;
  /**
   * When Redis cannot be used, let the request through without a permit (fail open) instead of
   * answering 503 (fail closed).
   * @defaultValue false
   */
  readonly passOnStoreError?: boolean | undefined;
}

/** Defaults of {@link ConcurrencyLimitOptions}. */
export const DEFAULT_CONCURRENCY_LIMIT_OPTIONS = Object.freeze({
  weight: 1,
  waitMs: 10_000,
  maxWaiters: 1_000,
  ttlMs: 10_000,
  statusCode: 503,
  standardHeaders: false,
  passOnStoreError: false,
});

const KNOWN_OPTIONS = [
  'lockstep',
  'name',
  'limit',
  'weight',
  'priority',
  'priorities',
  'waitMs',
  'maxWaiters',
  'ttlMs',
  'statusCode',
  'standardHeaders',
  'skip',
  'handler',
  'onError',
  'passOnStoreError',
] as const;

/** Options after validation. */
export interface ResolvedOptions<Req> {
  readonly lockstep: LockstepLike;
  readonly name: PerRequest<Req, string>;
  readonly limit: PerRequest<Req, number>;
  readonly weight: PerRequest<Req, number>;
  readonly priority: PerRequest<Req, number | string> | undefined;
  readonly priorities: readonly string[] | undefined;
  readonly waitMs: number;
  readonly maxWaiters: number;
  readonly ttlMs: number;
  readonly statusCode: number;
  readonly standardHeaders: boolean;
  readonly skip: ConcurrencyLimitOptions<IncomingMessage>['skip'] | undefined;
  readonly handler: ConcurrencyLimitOptions<IncomingMessage>['handler'] | undefined;
  readonly onError: (error: LockstepError, req: Req) => void;
  readonly passOnStoreError: boolean;
}

/**
 * Validates every option once and fills in defaults. Semaphore options are checked by core itself,
 * through a semaphore made for the purpose (no I/O).
 */
export function resolveOptions<Req extends IncomingMessage, Res extends ServerResponse>(
  options: ConcurrencyLimitOptions<Req, Res>,
): ResolvedOptions<Req> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
  assertKnownOptions(options, KNOWN_OPTIONS, 'concurrencyLimit() options');
  const o = options;
  const lockstep = o.lockstep as Partial<LockstepLike> | undefined;
  if (lockstep === null || typeof lockstep !== 'object' || typeof lockstep.semaphore !== 'function') {
    throw new InvalidArgumentError(`Expected \`lockstep\` to be a Lockstep, got ${describeValue(lockstep)}`);
  }
  if (lockstep.isQuorum) {
    throw new InvalidArgumentError(
      'Expected `lockstep` on one Redis or a Cluster: semaphores do not run in quorum mode',
    );
  }
  const d = DEFAULT_CONCURRENCY_LIMIT_OPTIONS;
  const resolved: ResolvedOptions<Req> = {
    lockstep: o.lockstep,
    name: perRequest('name', o.name, (v) => typeof v === 'string' && v.length > 0, 'a non-empty string'),
    limit: perRequest('limit', o.limit, (v) => Number.isInteger(v) && (v as number) >= 1, 'an integer >= 1'),
    weight: perRequest(
      'weight',
      o.weight ?? d.weight,
      (v) => Number.isInteger(v) && (v as number) >= 1,
      'an integer >= 1',
    ),
    priority: o.priority === undefined ? undefined : perRequest('priority', o.priority, isPriority, 'a number or name'),
    priorities: o.priorities,
    waitMs: checkInteger('waitMs', o.waitMs ?? d.waitMs, 0, MAX_TIMER_MS),
    maxWaiters: checkInteger('maxWaiters', o.maxWaiters ?? d.maxWaiters, 0, 10_000_000),
    ttlMs: checkInteger('ttlMs', o.ttlMs ?? d.ttlMs, 100, MAX_TIMER_MS),
    statusCode: checkInteger('statusCode', o.statusCode ?? d.statusCode, 400, 599),
    standardHeaders: checkOptionalBoolean('standardHeaders', o.standardHeaders) ?? d.standardHeaders,
    skip: checkOptionalFunction('skip', o.skip) as ResolvedOptions<Req>['skip'],
    handler: checkOptionalFunction('handler', o.handler) as ResolvedOptions<Req>['handler'],
    onError: checkOptionalFunction('onError', o.onError) ?? (() => undefined),
    passOnStoreError: checkOptionalBoolean('passOnStoreError', o.passOnStoreError) ?? d.passOnStoreError,
  };
  probeSemaphore(resolved);
  return resolved;
}

function isPriority(value: unknown): boolean {
  return (typeof value === 'string' && value.length > 0) || Number.isInteger(value);
}

function perRequest<Req, T>(
  option: string,
  value: PerRequest<Req, T> | undefined,
  valid: (value: unknown) => boolean,
  expected: string,
): PerRequest<Req, T> {
  if (typeof value === 'function' || (value !== undefined && valid(value))) return value;
  throw new InvalidArgumentError(
    `Expected \`${option}\` to be ${expected} or a function of the request, got ${describeValue(value)}`,
  );
}

/** Highest absolute priority, as in core: integers in [-2^20, 2^20]. */
const MAX_PRIORITY = 2 ** 20;

/** A fixed `priority`: a class from `priorities`, or an integer in range; messages name `priority`. */
function checkFixedPriority(priority: number | string | undefined, priorities: readonly string[] | undefined): void {
  if (typeof priority === 'string' && !priorities?.includes(priority)) {
    const known = priorities?.length ? `one of ${priorities.join(', ')}` : 'a number (no `priorities` are given)';
    throw new InvalidArgumentError(
      `Unknown priority class ${describeValue(priority)} for \`priority\`: expected ${known}`,
    );
  }
  if (typeof priority === 'number' && Math.abs(priority) > MAX_PRIORITY) {
    throw new InvalidArgumentError(
      `Expected \`priority\` to be an integer from ${-MAX_PRIORITY} to ${MAX_PRIORITY}, got ${describeValue(priority)}`,
    );
  }
}

/**
 * Lets core validate `ttlMs`, `maxWaiters`, `priorities`, a fixed name, limit and weight,
 * with its own rules and messages, before any request.
 */
function probeSemaphore<Req>(o: ResolvedOptions<Req>): void {
  const fixed = <T>(v: PerRequest<Req, T>): T | undefined => (typeof v === 'function' ? undefined : (v as T));
  const limit = fixed(o.limit) ?? 1_000_000;
  const semaphore = o.lockstep.semaphore(fixed(o.name) ?? 'probe', {
    limit,
    ttlMs: o.ttlMs,
    maxWaiters: o.maxWaiters,
    ...(o.priorities === undefined ? {} : { priorities: o.priorities }),
  });
  checkFixedPriority(fixed(o.priority ?? 0), o.priorities);
  const weight = fixed(o.weight);
  if (weight !== undefined && weight > semaphore.limit) {
    throw new InvalidArgumentError(`Expected \`weight\` to be at most the limit ${limit}, got ${weight}`);
  }
}
