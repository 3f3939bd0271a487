// One acquisition on a MemoryQueue: an attempt, then (when queued) a wait that ends with a grant,
// `waitMs`, the caller's signal or `close()`, with the errors the Redis engines raise.

import type { LimiterKind } from '../diagnostics/channels.js';
import { AcquireTimeoutError, LockstepError, QueueFullError } from '../errors.js';
import { Lease } from '../lease/lease.js';
import type { LeaseDriver } from '../lease/lease-driver.js';
import { abortedError } from '../redis/request.js';
import { newRequestId, newToken } from '../util/ids.js';
import type { AcquireRequest } from '../waiting/contender.js';
import type { MemoryAttempt, MemoryQueue } from './memory-queue.js';

/** What the owning MemoryLockstep provides to its engines. */
export interface MemoryRuntime {
  drift(ttlMs: number): number;
  onError(error: unknown): void;
  assertOpen(): void;
  /** Remembers a live lease (so `close()` can stop its timers). */
  track(lease: Lease): void;
  untrack(lease: Lease): void;
  /** Registers a pending wait that `close()` ends; returns the unregister function. */
  onClose(end: (error: LockstepError) => void): () => void;
}

/** The fixed parts of an acquisition on one name. */
export interface MemoryContender {
  readonly name: string;
  readonly kind: LimiterKind;
  readonly queue: MemoryQueue;
  readonly driver: LeaseDriver;
  readonly maxWaiters: number;
}

function weightError(name: string, weight: number, limit: number): LockstepError {
  return new LockstepError(
    'ERR_WEIGHT_EXCEEDS_LIMIT',
    `Weight ${weight} exceeds the limit ${limit} now in effect for "${name}"`,
  );
}

/** Acquires on `c.queue`; resolves a Lease, or null for a busy `orNull` request. */
export async function memoryAcquire(
  c: MemoryContender,
  rt: MemoryRuntime,
  permit: Omit<MemoryAttempt, 'id' | 'token' | 'wait' | 'maxWaiters'>,
  request: AcquireRequest,
): Promise<Lease | null> {
  rt.assertOpen();
  const signal = request.signal;
  if (signal?.aborted) throw abortedError(c.name, signal);
  const id = newRequestId();
  const token = newToken();
  const lease = (fence: number, at: number): Lease => {
    const result = new Lease({
      name: c.name,
      id,
      token,
      fence,
      ttlMs: permit.ttlMs,
      validUntil: at + permit.ttlMs - rt.drift(permit.ttlMs),
      weight: permit.weight,
      autoExtend: request.autoExtend,
      onLost: request.onLost,
      driver: c.driver,
      onSettle: (settled) => rt.untrack(settled),
    });
    rt.track(result);
    return result;
  };
  const attempt = { ...permit, id, token, wait: request.waitMs > 0, maxWaiters: c.maxWaiters };
  const reply = c.queue.attempt(attempt);
  switch (reply.kind) {
    case 'granted':
      return lease(reply.fence, reply.at);
    case 'busy':
      if (request.orNull) return null;
      throw new AcquireTimeoutError(c.name, request.waitMs);
    case 'full':
      throw new QueueFullError(c.name, c.maxWaiters);
    case 'too-heavy':
      throw weightError(c.name, permit.weight, reply.limit);
  }
  const granted = new Promise<{ fence: number; at: number }>((resolve, reject) => {
    const end = (error: LockstepError) => {
      done();
      c.queue.cancel(id);
      reject(error);
    };
    const timer = setTimeout(() => end(new AcquireTimeoutError(c.name, request.waitMs)), request.waitMs);
    const onAbort = () => end(abortedError(c.name, signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const unregister = rt.onClose(end);
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unregister();
    };
    c.queue.enqueue({
      id,
      token,
      weight: permit.weight,
      ttlMs: permit.ttlMs,
      priority: permit.priority,
      score: reply.score,
      since: reply.since,
      grant: (fence, at) => {
        done();
        resolve({ fence, at });
      },
      reject: (limit) => {
        done();
        reject(weightError(c.name, permit.weight, limit));
      },
    });
  });
  request.onQueued?.();
  const { fence, at } = await granted;
  return lease(fence, at);
}
