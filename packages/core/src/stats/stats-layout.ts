// Where grant statistics live: one hash per name and minute, `{tag}:r:<epoch minute>`: per second, a
// histogram of the grants' waits (its sum is the grant count), and the semaphore limit writers use.

/** How long a minute's statistics are kept, ms: the dashboard plots the last five minutes. */
export const STATS_TTL_MS = 6 * 60_000;

/**
 * Upper bounds (ms) of the wait-time histogram buckets; the last bucket is everything above. A
 * percentile read from it is the upper bound of the bucket it falls in.
 */
export const WAIT_BUCKETS_MS: readonly number[] = Object.freeze([
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000,
]);

/** The bucket index of a wait. */
export function waitBucket(waitedMs: number): number {
  let i = 0;
  while (i < WAIT_BUCKETS_MS.length && waitedMs > (WAIT_BUCKETS_MS[i] as number)) i++;
  return i;
}

/** The statistics key of a name's hash tag for one epoch minute. */
export function statsKey(tag: string, minute: number): string {
  return `${tag}:r:${minute}`;
}

/** Field of wait bucket `bucket` in epoch second `second`. */
export function waitField(second: number, bucket: number): string {
  return `${second}:${bucket}`;
}

/** Field holding the semaphore limit the writing processes use. */
export const LIMIT_FIELD = 'l';

/** Field holding the semaphore's priority classes: JSON of [value, name] pairs. */
export const CLASSES_FIELD = 'p';
