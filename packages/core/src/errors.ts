import { isRefusalMessage } from './redis/refusal.js';

/**
 * Every stable error code Lockstep can raise. `docs/errors.md` documents each one, and a test keeps
 * the two in sync.
 */
export const ERROR_CODES = [
  'ERR_INVALID_ARGUMENT',
  'ERR_ACQUIRE_TIMEOUT',
  'ERR_ABORTED',
  'ERR_LEASE_LOST',
  'ERR_REDIS',
  'ERR_QUORUM',
  'ERR_QUEUE_FULL',
  'ERR_WEIGHT_EXCEEDS_LIMIT',
  'ERR_CLOSED',
  'ERR_INTERNAL',
] as const;

/** A stable error code, see {@link ERROR_CODES}. */
export type LockstepErrorCode = (typeof ERROR_CODES)[number];

/** Options accepted by every Lockstep error constructor. */
export interface LockstepErrorOptions {
  /** The underlying error, passed on as `error.cause`. */
  readonly cause?: unknown;
}

/**
 * Base class of every error Lockstep throws or reports. Branch on `code`, which is stable across
 * versions; the message is for humans and may change. Messages never contain lease tokens.
 */
export class LockstepError extends Error {
  /** Stable, documented error code. */
  readonly code: LockstepErrorCode;

  /**
   * @param code - the stable code
   * @param message - a human-readable description
   * @param options - `cause`
   */
  constructor(code: LockstepErrorCode, message: string, options: LockstepErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LockstepError';
    this.code = code;
  }
}

/** `ERR_INVALID_ARGUMENT`: bad input, detected before any Redis call. */
export class InvalidArgumentError extends LockstepError {
  /** @param message - names the option and the bad value */
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}

/**
 * `ERR_ACQUIRE_TIMEOUT`: the lock or permits stayed held by others for the whole wait. Only
 * contention produces this code; an unreachable Redis is {@link RedisUnavailableError}.
 */
export class AcquireTimeoutError extends LockstepError {
  /**
   * @param resource - the lock or semaphore name
   * @param waitMs - how long the caller waited
   * @param options - `cause`: for a quorum lock, a {@link QuorumError} with each node's answer
   */
  constructor(
    readonly resource: string,
    readonly waitMs: number,
    options: LockstepErrorOptions = {},
  ) {
    super(
      'ERR_ACQUIRE_TIMEOUT',
      `Could not acquire "${resource}" within ${Math.round(waitMs)} ms: held by others`,
      options,
    );
    this.name = 'AcquireTimeoutError';
  }
}

/** Why a lease stopped being held without the owner releasing it. */
export type LeaseLossReason =
  /** Its validity window ran out before an extension succeeded (or none was attempted). */
  | 'expired'
  /** Redis no longer had it under this token when extending (expired, deleted or overwritten). */
  | 'not-held'
  /** A quorum extension reached fewer nodes than a majority. */
  | 'no-quorum';

/** `ERR_LEASE_LOST`: a lease is no longer held, so the work it protects must stop. */
export class LeaseLostError extends LockstepError {
  /**
   * @param resource - the lock or semaphore name
   * @param reason - why it was lost
   * @param options - `cause`
   */
  constructor(
    readonly resource: string,
    readonly reason: LeaseLossReason,
    options: LockstepErrorOptions = {},
  ) {
    super('ERR_LEASE_LOST', `Lease on "${resource}" was lost (${reason})`, options);
    this.name = 'LeaseLostError';
  }
}

/**
 * `ERR_REDIS`: Redis could not be reached, answered with an error, or did not answer in time. When
 * `indeterminate` is true a command may have taken effect; Lockstep already cleaned up after it
 * (compare-and-delete with the same token), and anything left expires with its TTL. When `refused`
 * is true Redis refused the user (an ACL rule missing, credentials refused): a configuration
 * error, which Lockstep does not retry.
 */
export class RedisUnavailableError extends LockstepError {
  /**
   * True when `cause` is Redis refusing the user: `NOPERM` (a command, key or channel its ACL rules
   * do not allow, also inside a script), `WRONGPASS` or `NOAUTH`. See "Redis ACL users" in the
   * README for the rules Lockstep needs.
   */
  readonly refused: boolean;

  /**
   * @param message - what failed
   * @param indeterminate - whether a command's effect is unknown
   * @param options - `cause`
   */
  constructor(
    message: string,
    readonly indeterminate: boolean,
    options: LockstepErrorOptions = {},
  ) {
    super('ERR_REDIS', message, options);
    this.name = 'RedisUnavailableError';
    const reply = (options.cause as { message?: unknown } | undefined)?.message;
    this.refused = typeof reply === 'string' && isRefusalMessage(reply);
  }
}

/** `ERR_QUEUE_FULL`: `maxWaiters` waiters are already queued. */
export class QueueFullError extends LockstepError {
  /**
   * @param resource - the lock or semaphore name
   * @param maxWaiters - the configured bound
   */
  constructor(
    readonly resource: string,
    readonly maxWaiters: number,
  ) {
    super('ERR_QUEUE_FULL', `Queue of "${resource}" is full (maxWaiters ${maxWaiters})`);
    this.name = 'QueueFullError';
  }
}

/** What one node of a quorum said to one attempt. */
export type QuorumNodeOutcome = 'granted' | 'held' | 'unreachable' | 'error';

/** One node's answer in a {@link QuorumError}. */
export interface QuorumNodeResult {
  /** Index of the client in the `redis` array given to `Lockstep`. */
  readonly node: number;
  /** What the node said. */
  readonly outcome: QuorumNodeOutcome;
  /** The error, for `unreachable` and `error`. */
  readonly error?: Error;
}

/**
 * `ERR_QUORUM`: a quorum lock could not reach a majority. `cause` tells contention (`'contention'`:
 * other holders own enough nodes) from unavailability (`'unavailable'`: too many nodes failed to
 * answer), and `nodes` has each node's outcome of the last attempt.
 */
export class QuorumError extends LockstepError {
  /**
   * @param resource - the lock name
   * @param reason - contention or unavailability
   * @param nodes - per-node outcome of the last attempt
   * @param attempts - how many attempts were made
   */
  constructor(
    readonly resource: string,
    readonly reason: 'contention' | 'unavailable' | 'validity',
    readonly nodes: readonly QuorumNodeResult[],
    readonly attempts: number,
  ) {
    const counts = nodes.reduce<Record<string, number>>((acc, n) => {
      acc[n.outcome] = (acc[n.outcome] ?? 0) + 1;
      return acc;
    }, {});
    const detail = Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    super('ERR_QUORUM', `No quorum for "${resource}" (${reason}) after ${attempts} attempt(s): ${detail}`);
    this.name = 'QuorumError';
  }
}

/**
 * Marks every Lockstep error, whichever copy of this module made it: an app that loads both the
 * CommonJS and the ESM build (the dual-package hazard, Node's "Dual CommonJS/ES module packages")
 * has two `LockstepError` classes, and `instanceof` only knows its own.
 */
const BRAND = Symbol.for('@lockstep/core.LockstepError');
Object.defineProperty(LockstepError.prototype, BRAND, { value: true });

/**
 * True if `error` is a {@link LockstepError}, optionally with the given code. Unlike `instanceof`,
 * it also recognises errors made by another copy of `@lockstep/core` (its CommonJS or ESM build).
 */
export function isLockstepError(error: unknown, code?: LockstepErrorCode): error is LockstepError {
  if (typeof error !== 'object' || error === null) return false;
  const branded = error instanceof LockstepError || (error as Record<symbol, unknown>)[BRAND] === true;
  return branded && (code === undefined || (error as LockstepError).code === code);
}

/**
 * True if `error` is Redis refusing the user rather than an outage: an `ERR_REDIS` whose `refused`
 * is true (from either build of `@lockstep/core`), or a Redis error reply itself that starts with
 * `NOPERM`, `WRONGPASS` or `NOAUTH` (or is an ACL failure inside a script). Retrying does not help;
 * the user's ACL rules or credentials must change (see "Redis ACL users" in the README).
 */
export function isRedisRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (isLockstepError(error, 'ERR_REDIS')) return (error as { refused?: unknown }).refused === true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && isRefusalMessage(message);
}
