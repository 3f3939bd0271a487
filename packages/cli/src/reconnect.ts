// The retry strategy of a client that must fail fast at first and then ride out outages: `watch`
// exits 3 when Redis is unreachable at the start, but once connected it reconnects on its own.

/** Longest pause between two reconnection attempts, ms. */
export const MAX_RECONNECT_DELAY_MS = 2_000;

/** An ioredis `retryStrategy` (or `clusterRetryStrategy`) that only retries once armed. */
export interface ArmedRetry {
  /** Attempt `n` (from 1) → ms to wait before it, or null to give up. */
  readonly strategy: (attempt: number) => number | null;
  /** From now on, retry forever with a capped backoff. */
  arm(): void;
}

/**
 * A retry strategy that gives up at once until {@link ArmedRetry.arm} is called (after the first
 * successful connection), then waits 100 ms, 200 ms, 400 ms … up to {@link MAX_RECONNECT_DELAY_MS}
 * between attempts, without end: the caller decides when to stop (`disconnect()`).
 */
export function retryOnceConnected(): ArmedRetry {
  let armed = false;
  return {
    strategy: (attempt) => (armed ? Math.min(100 * 2 ** Math.min(attempt - 1, 10), MAX_RECONNECT_DELAY_MS) : null),
    arm() {
      armed = true;
    },
  };
}
