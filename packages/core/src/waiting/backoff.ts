// How long a waiting acquisition sleeps: after a failed attempt, and between re-checks of the queue.
import { randomInt } from 'node:crypto';

const RETRY_BACKOFF_MS = [10, 25, 50, 100, 250, 500];

/** Delay before retrying after the `failures`-th failed attempt in a row (1-based), ms. */
export function retryDelayMs(failures: number): number {
  return RETRY_BACKOFF_MS[Math.min(failures - 1, RETRY_BACKOFF_MS.length - 1)] as number;
}

/**
 * How long a queued waiter sleeps before it checks again, ms: until the earliest holder's lease
 * ends (`recheckInMs`, plus a little jitter; it may have died), or a third of the waiter TTL when no
 * holder has a deadline (`recheckInMs` < 0), never past the end of the wait (`leftMs`).
 */
export function recheckDelayMs(recheckInMs: number, waiterTtlMs: number, leftMs: number): number {
  if (recheckInMs >= 0) return Math.min(leftMs, recheckInMs + randomInt(1, 6));
  return Math.min(leftMs, Math.floor(waiterTtlMs / 3));
}
