import { scanKeys } from '@lockstep/test-utils';
import { describe, expect, it } from 'vitest';
import { clusterLockstep, delay, quorumLockstep, standaloneLockstep } from '../../../test/support/fixtures.js';
import { isLockstepError, type Lockstep } from '../src/index.js';
import { createMemoryLockstep } from '../src/testing/index.js';

async function expectFree(lockstep: Lockstep, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const lease = await lockstep.lock(name).tryAcquire();
    expect(lease, `${name} should be free`).not.toBeNull();
    await lease?.release();
  }
}

describe('lockstep.lockAll', () => {
  it('holds every name, fences in the order given, one signal, one release', async () => {
    const { lockstep } = standaloneLockstep();
    const lease = await lockstep.lockAll(['b', 'a', 'c'], { ttlMs: 5_000 }).acquire({ waitMs: 5_000 });
    expect(lease.names).toEqual(['b', 'a', 'c']);
    expect(lease.leases.map((l) => l.name)).toEqual(['b', 'a', 'c']);
    expect(lease.fences).toEqual(lease.leases.map((l) => l.fence));
    for (const fence of lease.fences) expect(Number.isSafeInteger(fence)).toBe(true);
    expect(lease.held).toBe(true);
    expect(await lockstep.lock('a').tryAcquire()).toBeNull();
    expect(await lease.release()).toBe(true);
    await expectFree(lockstep, ['a', 'b', 'c']);
  });

  it('[a, b] and [b, a] at once both finish, many times over (canonical order, no deadlock)', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const { lockstep: other } = standaloneLockstep({ prefix });
    let active = 0;
    let overlap = false;
    const run = async (ls: Lockstep, names: string[]) => {
      for (let i = 0; i < 50; i++) {
        const lease = await ls.lockAll(names, { ttlMs: 5_000 }).acquire({ waitMs: 10_000 });
        active++;
        if (active > 1) overlap = true;
        await delay(0);
        active--;
        await lease.release();
      }
    };
    await Promise.all([run(lockstep, ['x', 'y']), run(other, ['y', 'x']), run(lockstep, ['y', 'x'])]);
    expect(overlap).toBe(false);
  });

  it('all or nothing: a timeout part way gives back every name taken', async () => {
    const { lockstep } = standaloneLockstep();
    const holder = await lockstep.lock('n3').acquire();
    const error = await lockstep
      .lockAll(['n1', 'n2', 'n3'])
      .acquire({ waitMs: 300 })
      .catch((e: unknown) => e);
    expect(isLockstepError(error, 'ERR_ACQUIRE_TIMEOUT')).toBe(true);
    expect(error).toMatchObject({ resource: 'n3', waitMs: 300 });
    await expectFree(lockstep, ['n1', 'n2']);
    await holder.release();
  });

  it('all or nothing: an abort part way gives back every name taken', async () => {
    const { lockstep } = standaloneLockstep();
    const holder = await lockstep.lock('m2').acquire();
    const controller = new AbortController();
    const pending = lockstep.lockAll(['m2', 'm1']).acquire({ waitMs: 10_000, signal: controller.signal });
    await delay(100);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expectFree(lockstep, ['m1']);
    await holder.release();
  });

  it('tryAcquire returns null and keeps nothing when any name is held', async () => {
    const { lockstep } = standaloneLockstep();
    const holder = await lockstep.lock('t2').acquire();
    expect(await lockstep.lockAll(['t1', 't2', 't3']).tryAcquire()).toBeNull();
    await expectFree(lockstep, ['t1', 't3']);
    await holder.release();
    const all = await lockstep.lockAll(['t1', 't2', 't3']).tryAcquire();
    expect(all?.held).toBe(true);
    await all?.release();
  });

  it('leases taken early stay held while a later name is awaited, and get a fresh window', async () => {
    const { lockstep } = standaloneLockstep();
    const holder = await lockstep.lock('w2', { ttlMs: 300 }).acquire();
    setTimeout(() => void holder.release(), 800);
    const lease = await lockstep.lockAll(['w1', 'w2'], { ttlMs: 300 }).acquire({ waitMs: 5_000 });
    expect(lease.held).toBe(true);
    expect(lease.remainingMs).toBeGreaterThan(100);
    // Without autoExtend the leases are not extended any more: the joint lease ends with its TTL.
    await new Promise((resolve) => lease.signal.addEventListener('abort', resolve, { once: true }));
    expect(lease.lostError).toMatchObject({ code: 'ERR_LEASE_LOST', reason: 'expired' });
    await lease.release();
  });

  it('withLock runs with every name held and releases them', async () => {
    const { lockstep } = standaloneLockstep();
    const result = await lockstep.lockAll(['k1', 'k2']).withLock(async (lease) => {
      expect(lease.held).toBe(true);
      return lease.fences.length;
    });
    expect(result).toBe(2);
    await expectFree(lockstep, ['k1', 'k2']);
  });

  it('the joint signal aborts when any lease is lost', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lost: string[] = [];
    const lease = await lockstep
      .lockAll(['s1', 's2'], { ttlMs: 1_000 })
      .acquire({ autoExtend: true, onLost: (e) => void lost.push(e.resource) });
    await redis.del(`{${prefix}:l:s2}:h`);
    await new Promise((resolve) => lease.signal.addEventListener('abort', resolve, { once: true }));
    expect(lease.lostError?.resource).toBe('s2');
    expect(lost).toEqual(['s2']);
    await lease.release();
  });

  it('rejects bad names before any I/O', () => {
    const { lockstep } = standaloneLockstep();
    expect(() => lockstep.lockAll([])).toThrow(/`names`/);
    expect(() => lockstep.lockAll(['a', 'a'])).toThrow(/distinct/);
    expect(() => lockstep.lockAll('a' as never)).toThrow(/`names`/);
    expect(() => lockstep.lockAll(['a', ''])).toThrow(/ERR_INVALID_ARGUMENT|name/);
    expect(() => lockstep.lockAll(['a'], { ttl: 5 } as never)).toThrow(/ttlMs/);
  });

  it('cluster: names in different slots', async () => {
    const { lockstep, redis, prefix } = clusterLockstep();
    const names = ['acct:1', 'acct:2', 'acct:3', 'acct:4', 'acct:5', 'acct:6'];
    const lease = await lockstep.lockAll(names).acquire();
    // The holders sit on more than one primary: the names really are in different slots.
    const perNode = await Promise.all(redis.nodes('master').map((node) => scanKeys(node, `*${prefix}*`)));
    expect(perNode.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
    for (const fence of lease.fences) expect(Number.isSafeInteger(fence)).toBe(true);
    expect(await lease.release()).toBe(true);
    await expectFree(lockstep, names);
  });

  it('quorum: every name by majority, fences undefined', async () => {
    const { lockstep } = quorumLockstep();
    const lease = await lockstep.lockAll(['q2', 'q1'], { ttlMs: 5_000 }).acquire({ waitMs: 5_000 });
    expect(lease.fences).toEqual([undefined, undefined]);
    expect(await lockstep.lockAll(['q1', 'q3']).tryAcquire()).toBeNull();
    expect(await lease.release()).toBe(true);
    await expectFree(lockstep, ['q1', 'q2', 'q3']);
  });

  it('in memory: the same canonical order and all or nothing', async () => {
    const lockstep = createMemoryLockstep();
    const holder = await lockstep.lock('b').acquire();
    await expect(lockstep.lockAll(['c', 'b', 'a']).acquire({ waitMs: 50 })).rejects.toMatchObject({
      code: 'ERR_ACQUIRE_TIMEOUT',
      resource: 'b',
    });
    expect(await lockstep.lock('a').tryAcquire()).not.toBeNull();
    await holder.release();
    const lease = await lockstep.lockAll(['c', 'b']).acquire();
    expect(lease.fences).toHaveLength(2);
    await lease.release();
    await lockstep.close();
  });
});
