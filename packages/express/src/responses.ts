// What the client is told: Retry-After, the IETF RateLimit fields and a short problem+json body.
import { randomInt } from 'node:crypto';
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Semaphore } from '@lockstep/core';
import { estimateWaitMs, meanHoldMs } from './hold-times.js';

/** Longest `Retry-After` ever suggested, seconds. */
export const MAX_RETRY_AFTER_SECONDS = 60;

/** Identifier of the quota policy in the RateLimit fields. */
const POLICY = '"concurrency"';

const inFlight = new WeakMap<Semaphore, Promise<number>>();

/**
 * Seconds until a permit is likely free (see {@link estimateWaitMs}: from the hold times this process
 * observed for the name and the queue ahead, else from the earliest holder's lease expiry), at least 1
 * and at most {@link MAX_RETRY_AFTER_SECONDS}, plus up to a fifth more (at least 1 s) of jitter from
 * `crypto`, so rejected clients do not return as a herd. Concurrent rejections on one semaphore share
 * one `inspect()`.
 */
export function retryAfterSeconds(semaphore: Semaphore): Promise<number> {
  let estimate = inFlight.get(semaphore);
  if (estimate === undefined) {
    estimate = semaphore
      .inspect()
      .then((state) => estimateWaitMs(state, meanHoldMs(semaphore), Date.now()))
      .catch(() => 1_000)
      .finally(() => inFlight.delete(semaphore));
    inFlight.set(semaphore, estimate);
  }
  return estimate.then(withJitter);
}

function withJitter(ms: number): number {
  const base = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(ms / 1_000)));
  return Math.min(MAX_RETRY_AFTER_SECONDS, base + randomInt(0, Math.floor(base / 5) + 2));
}

/** Sets the IETF RateLimit fields for a concurrency quota. */
export function setRateLimitHeaders(res: ServerResponse, limit: number, remaining: number, retryAfter?: number): void {
  if (res.headersSent) return;
  res.setHeader('RateLimit-Policy', `${POLICY};q=${limit};qu="concurrent-requests"`);
  const reset = retryAfter === undefined ? '' : `;t=${retryAfter}`;
  res.setHeader('RateLimit', `${POLICY};r=${Math.max(0, remaining)}${reset}`);
}

/** Answers with an RFC 9457 problem body; never writes after the headers went out. */
export function sendProblem(res: ServerResponse, status: number, code: string, detail: string): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, code });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}
