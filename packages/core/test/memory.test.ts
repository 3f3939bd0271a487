// What only the in-memory backend has to show: its own options, independence of instances, and
// close() and onError behaving like Lockstep's.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, type LockstepLike } from '../src/index.js';
import { createMemoryLockstep, MemoryLockstep } from '../src/testing/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('in-memory backend', () => {
  it('says clearly that it has no admin()', () => {
    const memory = createMemoryLockstep();
    expect(() => memory.admin()).toThrow(InvalidArgumentError);
    expect(() => memory.admin()).toThrow(/admin\(\) is not available on the in-memory Lockstep/);
  });

  it('validates its own options', () => {
    expect(() => createMemoryLockstep({ driftFactor: 2 })).toThrow(/driftFactor/);
    expect(() => createMemoryLockstep({ onError: 3 as never })).toThrow(/onError/);
    expect(() => createMemoryLockstep({ redis: {} } as never)).toThrow(InvalidArgumentError);
    expect(() => createMemoryLockstep(null as never)).toThrow(InvalidArgumentError);
    const lockstep: LockstepLike = createMemoryLockstep();
    expect(lockstep).toBeInstanceOf(MemoryLockstep);
    expect(lockstep.isQuorum).toBe(false);
  });

  it('shares a name across Lock objects of one instance, never across instances or kinds', async () => {
    const a = createMemoryLockstep();
    const b = createMemoryLockstep();
    const held = await a.lock('x').acquire();
    expect(await a.lock('x').tryAcquire()).toBeNull();
    const other = await b.lock('x').tryAcquire();
    expect(other).not.toBeNull();
    const permit = await a.semaphore('x', { limit: 1 }).tryAcquire();
    expect(permit).not.toBeNull();
    await Promise.all([held.release(), other?.release(), permit?.release()]);
    await Promise.all([a.close(), b.close()]);
  });

  it('sends a throwing onLost to onError, never to the event loop', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    const lockstep = createMemoryLockstep({ onError: (error) => errors.push(error) });
    await lockstep.lock('x', { ttlMs: 1_000 }).acquire({
      onLost: () => {
        throw new Error('from onLost');
      },
    });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(errors).toEqual([new Error('from onLost')]);
    await lockstep.close();
  });

  it('close() grants nothing to the waiters it ends, even when one of them unblocks another', async () => {
    const lockstep = createMemoryLockstep();
    const sem = lockstep.semaphore('s', { limit: 2 });
    const held = await sem.acquire();
    const heavy = sem.acquire({ weight: 2, waitMs: 10_000 });
    const light = sem.acquire({ weight: 1, waitMs: 10_000 });
    await lockstep.close();
    await expect(heavy).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(light).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(held.fence).toBeGreaterThan(0);
  });

  it('close() stops lease timers: nothing is reported after it', async () => {
    vi.useFakeTimers();
    const lockstep = createMemoryLockstep();
    const lost = vi.fn();
    const lease = await lockstep.lock('x', { ttlMs: 1_000 }).acquire({ autoExtend: true, onLost: lost });
    await lockstep.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lost).not.toHaveBeenCalled();
    expect(lease.held).toBe(false);
    expect(() => lockstep.semaphore('s', { limit: 1 })).toThrow(/closed/);
  });
});
