// The in-memory backend under vitest fake timers: advancing time expires leases and ends waits.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LeaseLostError } from '../src/index.js';
import { createMemoryLockstep } from '../src/testing/index.js';

describe('memory backend with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('advancing time past the TTL loses an unextended lease and hands the lock on', async () => {
    const lockstep = createMemoryLockstep();
    const lock = lockstep.lock('invoice', { ttlMs: 60_000 });
    const losses: LeaseLostError[] = [];
    const lease = await lock.acquire({ onLost: (error) => void losses.push(error) });
    const waiter = lock.acquire({ waitMs: 120_000 });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(lease.held).toBe(true);
    expect(losses).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(losses.map((e) => e.reason)).toEqual(['expired']);
    expect(lease.signal.aborted).toBe(true);
    const next = await waiter;
    expect(next.fence).toBeGreaterThan(lease.fence as number);
    await next.release();
    await lockstep.close();
  });

  it('auto-extension keeps a lease for as long as time advances', async () => {
    const lockstep = createMemoryLockstep();
    const lock = lockstep.lock('job', { ttlMs: 10_000 });
    const lease = await lock.acquire({ autoExtend: true });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(lease.held).toBe(true);
    expect(await lock.tryAcquire()).toBeNull();
    expect(await lease.release()).toBe(true);
    await lockstep.close();
  });

  it('waitMs ends a wait with ERR_ACQUIRE_TIMEOUT when time advances', async () => {
    const lockstep = createMemoryLockstep();
    const sem = lockstep.semaphore('exports', { limit: 1, ttlMs: 600_000 });
    const held = await sem.acquire();
    const waiting = sem.acquire({ waitMs: 30_000 });
    const settled = expect(waiting).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(30_001);
    await settled;
    expect(held.held).toBe(true);
    await held.release();
    await lockstep.close();
  });
});
