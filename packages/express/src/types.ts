// The shapes a request handler sees: the permit on `req.lockstep` and the rejection info.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LeaseLostError, LockstepError } from '@lockstep/core';

/** The `next` of a `(req, res, next)` middleware; called with an error to pass it on. */
export type NextFunction = (error?: unknown) => void;

/**
 * The permit a request holds, as seen by its handler: a core `Lease` without its secret token, whose
 * `signal` also aborts when the client goes away.
 */
export interface RequestLease {
  /** The semaphore name. */
  readonly name: string;
  /** Fencing token of the grant: strictly increases with every grant of the name. */
  readonly fence: number | undefined;
  /** Permits held. */
  readonly weight: number;
  /** End of the validity window, epoch ms; auto-extended while the response is open. */
  readonly expiresAt: number;
  /** Validity left, ms. */
  readonly remainingMs: number;
  /** Inside its window and neither released nor lost. */
  readonly held: boolean;
  /**
   * Aborts when the permit is lost (reason: a `LeaseLostError`, `ERR_LEASE_LOST`) or the client
   * closes the connection before the response is finished (reason: a `LockstepError`,
   * `ERR_ABORTED`). Pass it to the handler's own I/O.
   */
  readonly signal: AbortSignal;
  /** The loss, once lost. */
  readonly lostError: LeaseLostError | undefined;
  /** New window of `ttlMs` (default: the TTL) from now; rejects `ERR_LEASE_LOST` if no longer held. */
  extend(ttlMs?: number): Promise<void>;
  /**
   * Gives the permit back before the response ends (for example before a long, cheap stream).
   * Resolves `true` if this call released it; the middleware never releases it twice.
   */
  release(): Promise<boolean>;
}

/** What `req.lockstep` holds while a request holds a permit. */
export interface RequestPermit {
  /** The semaphore name this request was admitted under. */
  readonly name: string;
  /** The permit. */
  readonly lease: RequestLease;
  /** How long the request waited for its permit, ms. */
  readonly waitedMs: number;
  /** The limit the request was admitted against. */
  readonly limit: number;
}

/** Why a request was turned away. */
export type RejectionReason =
  /** `waitMs` ran out while the request was queued. */
  | 'timeout'
  /** `waitMs` is 0 and every permit was taken. */
  | 'busy'
  /** `maxWaiters` requests were already queued. */
  | 'queue-full';

/** Passed to `handler` when a request is rejected. */
export interface RejectionInfo {
  readonly reason: RejectionReason;
  /** The semaphore name. */
  readonly name: string;
  /** The limit in effect for this request. */
  readonly limit: number;
  /** How long the request waited before it was rejected, ms. */
  readonly waitedMs: number;
  /** Suggested `Retry-After`, whole seconds (already set on the response). */
  readonly retryAfterSeconds: number;
  /** The status code the default handler answers with (`statusCode`). */
  readonly statusCode: number;
  /** The core error: `ERR_ACQUIRE_TIMEOUT` or `ERR_QUEUE_FULL`. */
  readonly error: LockstepError;
}

/**
 * A `(req, res, next)` middleware, usable by Express 4 and 5, Connect, Nest's Express adapter and a
 * bare `http` server. The returned promise never rejects: errors go to `next(error)`.
 */
export type ConcurrencyLimitMiddleware<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> = (req: Req, res: Res, next: NextFunction) => Promise<void>;

declare module 'http' {
  interface IncomingMessage {
    /** Set by `@lockstep/express` while the request holds a permit. */
    lockstep?: RequestPermit;
  }
}
