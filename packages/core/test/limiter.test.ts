// One Limiter surface: locks (single, Cluster-free here, and quorum) and semaphores are used by the
// same generic code, and both Lockstep kinds satisfy LockstepLike (checked by the compiler too).
import { describe, expect, it } from 'vitest';
import { quorumLockstep, standaloneLockstep } from '../../../test/support/fixtures.js';
import type { Lease, Limiter, LockstepLike } from '../src/index.js';
import { createMemoryLockstep } from '../src/testing/index.js';

/** What an integration does with "something that gives leases", never branching on the kind. */
async function guarded(limiter: Limiter): Promise<string[]> {
  const seen: string[] = [];
  const first = await limiter.acquire({ waitMs: 5_000 });
  seen.push(`${limiter.kind}:${first.name}`);
  expect(await limiter.tryAcquire()).toBeNull();
  await first.release();
  const second = (await limiter.tryAcquire()) as Lease;
  await second.release();
  seen.push(await limiter.withLease(async (lease) => `with:${lease.weight}`));
  return seen;
}

describe('Limiter', () => {
  it('locks, quorum locks and semaphores all work through the same code', async () => {
    const { lockstep } = standaloneLockstep();
    const { lockstep: quorum } = quorumLockstep();
    const limiters: Limiter[] = [
      lockstep.lock('l'),
      quorum.lock('q'),
      lockstep.semaphore('s', { limit: 1 }),
      createMemoryLockstep().lock('m'),
    ];
    const results = await Promise.all(limiters.map(guarded));
    expect(results).toEqual([
      ['lock:l', 'with:1'],
      ['lock:q', 'with:1'],
      ['semaphore:s', 'with:1'],
      ['lock:m', 'with:1'],
    ]);
  });

  it('withLock and withPermit are withLease under friendlier names', async () => {
    const lockstep: LockstepLike = createMemoryLockstep();
    const lock = lockstep.lock('friendly');
    const sem = lockstep.semaphore('friendly', { limit: 2 });
    expect(await lock.withLock(async (lease) => lease.fence !== undefined)).toBe(true);
    expect(await sem.withPermit(async (permit) => permit.weight, { weight: 2 })).toBe(2);
    const real: LockstepLike = standaloneLockstep().lockstep;
    expect(real.isQuorum).toBe(false);
    expect(lockstep.isQuorum).toBe(false);
    await lockstep.close();
  });
});
