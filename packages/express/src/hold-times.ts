// How long requests hold a name's permits, as this process sees them: the basis of Retry-After.
import type { Semaphore, SemaphoreState } from '@lockstep/core';

/** Weight of the newest hold in the running mean (an exponentially weighted moving average). */
const ALPHA = 0.2;

// Keyed by the cached Semaphore object (one per name and limit), so the figures go when it does.
const means = new WeakMap<Semaphore, number>();

/** Records that a permit of `semaphore` was held for `heldMs` (request admitted to release). */
export function recordHold(semaphore: Semaphore, heldMs: number): void {
  const previous = means.get(semaphore);
  means.set(semaphore, previous === undefined ? heldMs : previous + ALPHA * (heldMs - previous));
}

/** The running mean hold of `semaphore`'s permits in this process, ms; undefined before the first release. */
export function meanHoldMs(semaphore: Semaphore): number | undefined {
  return means.get(semaphore);
}

/**
 * Milliseconds until a request turned away now would likely get a permit.
 *
 * With observed holds: permits free at about `limit / meanHold` per ms, and the `waiting` requests
 * queued ahead are served first, so `meanHold × (waiting + 1) / limit`. This follows the route's
 * real pace: a 50 ms handler under a 10 s lease gets a hint of about a second, not ten.
 *
 * Before this process has seen a release of the name: the earliest holder's lease expiry, the
 * latest a permit comes back even if its holder died (auto-extended leases keep it near `ttlMs`);
 * 1 s when nobody holds one.
 */
export function estimateWaitMs(state: SemaphoreState, meanMs: number | undefined, now: number): number {
  if (meanMs !== undefined) return (meanMs * (state.waiting + 1)) / Math.max(1, state.limit);
  const earliest = state.holders[0]?.expiresAt;
  return earliest === undefined ? 1_000 : earliest - now;
}
