// The client's monotonic clock: every validity window is measured on it, never on Date.now().

/** Monotonic milliseconds (fractional), unaffected by wall-clock steps. */
export function monotonicNow(): number {
  return performance.now();
}

/**
 * Converts a point on the monotonic clock to epoch milliseconds, as of now. The two clocks are read
 * back to back; a read pair split by a preemption (a loaded machine) is taken again, up to 3 times,
 * so two conversions of one point agree to about a millisecond.
 */
export function toEpochMs(monotonicMs: number): number {
  let offset = 0;
  for (let i = 0; i < 3; i++) {
    const before = performance.now();
    const wall = Date.now();
    const after = performance.now();
    offset = wall - (before + after) / 2;
    if (after - before < 0.5) break;
  }
  return Math.floor(monotonicMs + offset);
}

/** A timer that never keeps the process alive. */
export function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fn, Math.max(0, Math.min(ms, 2_147_483_647)));
  timer.unref();
  return timer;
}
