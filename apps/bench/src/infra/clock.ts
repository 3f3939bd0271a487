// Time on CLOCK_MONOTONIC (process.hrtime), shared by every process on the host, and the hold
// every library's callers use.

/** Now in microseconds on the monotonic clock (comparable across processes on one host). */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1_000n);
}

/** Resolves after `ms` with setTimeout: the same hold for every library (Node sleeps at least 1 ms). */
export function hold(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when the monotonic clock reaches `atUs`. */
export async function sleepUntil(atUs: number): Promise<void> {
  for (;;) {
    const left = atUs - nowUs();
    if (left <= 0) return;
    if (left > 2_000) await hold(Math.floor((left - 1_000) / 1_000));
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
