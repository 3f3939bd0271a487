// Calls of the lock and semaphore scripts that tests use to build exact queue states.
import type { RedisClient } from '../../src/redis/scripts.js';
import { runScript } from '../../src/redis/scripts.js';

/**
 * One run of lock-acquire for request `id` (token `<id>-token`): it takes the lock, queues (`wait`)
 * or answers busy. Reply: [status, fence, ms, now].
 */
export function lockAcquire(
  redis: RedisClient,
  keys: readonly string[],
  id: string,
  wait: boolean,
  options: { ttlMs: number; waiterTtlMs: number },
): Promise<number[]> {
  return runScript(redis, 'lockAcquire', keys, [
    id,
    `${id}-token`,
    options.ttlMs,
    wait ? '1' : '0',
    options.waiterTtlMs,
    -1,
  ]) as Promise<number[]>;
}

/**
 * One run of sem-acquire for request `id` (token `<id>-token`, weight 1, priority 0) on a semaphore
 * of `limit` (1 unless given): it takes a permit or queues. Reply: [status, fence, ms, now].
 */
export function semAcquire(
  redis: RedisClient,
  keys: readonly string[],
  id: string,
  options: { ttlMs: number; waiterTtlMs: number; limit?: number },
): Promise<number[]> {
  return runScript(redis, 'semAcquire', keys, [
    id,
    `${id}-token`,
    1,
    options.limit ?? 1,
    options.ttlMs,
    '1',
    0,
    options.waiterTtlMs,
    -1,
    0,
  ]) as Promise<number[]>;
}
