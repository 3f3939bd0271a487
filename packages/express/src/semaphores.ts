// Core semaphores by (name, limit), kept in a small LRU so per-tenant names cannot grow memory.
import type { LockstepLike, Semaphore, SemaphoreOptions } from '@lockstep/core';

/** Most semaphore objects kept; they are cheap to make again (no I/O), so this only saves garbage. */
export const SEMAPHORE_CACHE_SIZE = 1_024;

/**
 * Hands out one `Semaphore` per (name, limit). Why per limit rather than `setLimit()`: a limit that
 * is a function of the request travels with each acquire, so every request is admitted against the
 * limit it computed, with no extra round trip and no stored limit that outlives the intent.
 * `setLimit()` stores one limit for every process and would flap when requests disagree.
 */
export class SemaphoreCache {
  readonly #entries = new Map<string, Semaphore>();

  constructor(
    readonly lockstep: LockstepLike,
    readonly options: Omit<SemaphoreOptions, 'limit'>,
  ) {}

  /** The semaphore for `name` at `limit`; creating one validates the name and limit (no I/O). */
  get(name: string, limit: number): Semaphore {
    const key = `${limit}:${name}`;
    const entries = this.#entries;
    const found = entries.get(key);
    if (found !== undefined) {
      // Refresh its place: a Map iterates in insertion order, so the first key is the least recent.
      entries.delete(key);
      entries.set(key, found);
      return found;
    }
    const semaphore = this.lockstep.semaphore(name, { ...this.options, limit });
    entries.set(key, semaphore);
    if (entries.size > SEMAPHORE_CACHE_SIZE) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    return semaphore;
  }
}
