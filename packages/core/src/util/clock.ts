// The client's monotonic clock: every validity window is measured on it, never on Date.now().

/** Monotonic milliseconds (fractional), unaffected by wall-clock steps. */
export function monotonicNow(): number {
  return performance.now();
}

/** Converts a point on the monotonic clock to epoch milliseconds, as of now. */
export function toEpochMs(monotonicMs: number): number {
  return Math.floor(Date.now() + (monotonicMs - performance.now()));
}

/** A timer that never keeps the process alive. */
export function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fn, Math.max(0, Math.min(ms, 2_147_483_647)));
  timer.unref();
  return timer;
}
