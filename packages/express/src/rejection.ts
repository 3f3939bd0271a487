// Turning a request away: busy (statusCode + Retry-After) or store outage (503, its own message).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LockstepError, Semaphore } from '@lockstep/core';
import type { ResolvedOptions } from './options.js';
import { retryAfterSeconds, sendProblem, setRateLimitHeaders } from './responses.js';
import type { NextFunction, RejectionInfo, RejectionReason } from './types.js';

/** The rejection's context. */
export interface RejectionContext {
  readonly name: string;
  readonly limit: number;
  readonly semaphore: Semaphore;
  readonly waitedMs: number;
}

/** Sets `Retry-After` (and RateLimit fields), then runs `handler` or answers with a problem body. */
export async function rejectRequest<Req extends IncomingMessage>(
  o: ResolvedOptions<Req>,
  error: LockstepError,
  c: RejectionContext,
  req: Req,
  res: ServerResponse,
  next: NextFunction,
): Promise<void> {
  const retryAfter = await retryAfterSeconds(c.semaphore);
  if (res.destroyed || res.headersSent) return;
  const reason: RejectionReason = error.code === 'ERR_QUEUE_FULL' ? 'queue-full' : o.waitMs === 0 ? 'busy' : 'timeout';
  res.setHeader('Retry-After', String(retryAfter));
  if (o.standardHeaders) setRateLimitHeaders(res, c.limit, 0, retryAfter);
  const info: RejectionInfo = {
    reason,
    name: c.name,
    limit: c.limit,
    waitedMs: c.waitedMs,
    retryAfterSeconds: retryAfter,
    statusCode: o.statusCode,
    error,
  };
  if (o.handler) {
    await o.handler(req, res, next, info);
    return;
  }
  sendProblem(res, o.statusCode, error.code, DETAILS[reason](retryAfter));
}

const DETAILS: Record<RejectionReason, (seconds: number) => string> = {
  timeout: (s) => `Too many requests are running at once; no slot came free in time. Retry in ${s} s.`,
  busy: (s) => `Too many requests are running at once. Retry in ${s} s.`,
  'queue-full': (s) => `Too many requests are waiting already. Retry in ${s} s.`,
};

/** The store (Redis) could not be used: a 503 that never reads like "busy". */
export function storeFailure(res: ServerResponse, error: LockstepError): void {
  sendProblem(res, 503, error.code, 'The concurrency limiter cannot reach its store; the request was not run.');
}
