import { keysWithoutTtl, uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';
import { clusterLockstep, eventually, quorumLockstep, standaloneLockstep } from '../../../test/support/fixtures.js';
import { isLockstepError, type Lease, Lockstep, LockstepAdmin } from '../src/index.js';

const NAMES = ['plain', 'a{b}c', 'x:y*?[]', '<script>alert(1)</script>', '100%', 'ünï'];

describe('LockstepAdmin', () => {
  it('lists every live lock and semaphore with SCAN, decoding names (standalone and keyPrefix)', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const held = await Promise.all(NAMES.map((n) => lockstep.lock(n, { ttlMs: 5_000 }).acquire()));
    const sem = lockstep.semaphore('pool', { limit: 3 });
    const permit = await sem.acquire({ weight: 2 });
    const list = await lockstep.admin().list();
    expect(list.map((s) => `${s.kind}:${s.name}`).sort()).toEqual(
      [...NAMES.map((n) => `lock:${n}`), 'semaphore:pool'].sort(),
    );
    const pool = list.find((s) => s.name === 'pool');
    expect(pool).toMatchObject({ kind: 'semaphore', used: 2, holders: 1, waiters: 0, limit: null });
    // Another client with a keyPrefix sees only its own view.
    const prefixed = standaloneClient({ keyPrefix: 'kp:' });
    const admin = new LockstepAdmin({ redis: prefixed, prefix });
    expect(await admin.list()).toEqual([]);
    for (const lease of held) await lease.release();
    await permit.release();
    expect(JSON.stringify(list)).not.toContain(held[0]?.token);
  });

  it('leaves out names whose keys another program wrote; inspect() of one is ERR_INTERNAL, not an outage', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lease = await lockstep.lock('good').acquire();
    const permit = await lockstep.semaphore('pool', { limit: 2 }).acquire();
    const foreign = [
      ['lock', 'hash-at-holder', 'h', () => redis.hset(`{${prefix}:l:hash-at-holder}:h`, 'a', '1')],
      ['lock', 'text-at-holder', 'h', () => redis.set(`{${prefix}:l:text-at-holder}:h`, 'garbage')],
      ['lock', 'text-at-queue', 'q', () => redis.set(`{${prefix}:l:text-at-queue}:q`, 'garbage')],
      ['semaphore', 'text-at-holders', 'h', () => redis.set(`{${prefix}:s:text-at-holders}:h`, 'garbage')],
      ['semaphore', 'text-at-meta', 'm', () => redis.set(`{${prefix}:s:text-at-meta}:m`, 'garbage')],
    ] as const;
    for (const [kind, name, suffix, write] of foreign) {
      await write();
      await redis.pexpire(`{${prefix}:${kind === 'lock' ? 'l' : 's'}:${name}}:${suffix}`, 60_000);
    }
    const admin = lockstep.admin();
    expect((await admin.list()).map((s) => `${s.kind}:${s.name}`)).toEqual(['lock:good', 'semaphore:pool']);
    for (const [kind, name] of foreign) {
      await expect(admin.inspect(kind, name)).rejects.toMatchObject({
        code: 'ERR_INTERNAL',
        message: expect.stringContaining(`"${name}"`),
      });
    }
    await lease.release();
    await permit.release();
  });

  it('lists on every Cluster primary', async () => {
    const { lockstep } = clusterLockstep();
    const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
    const held = await Promise.all(names.map((n) => lockstep.lock(n).acquire()));
    const list = await lockstep.admin().list();
    expect(list.map((s) => s.name).sort()).toEqual([...names].sort());
    for (const lease of held) await lease.release();
  });

  it('force-releases a lock: the next waiter gets it, the old holder loses it at its next extension', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('job', { ttlMs: 5_000 });
    const first = await lock.acquire();
    const waiter = lock.acquire({ waitMs: 10_000 });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    const admin = lockstep.admin();
    const detail = await admin.inspect('lock', 'job');
    expect(detail?.holderList[0]?.fence).toBe(first.fence);
    expect(await admin.forceRelease('lock', 'job', { fence: (first.fence as number) + 1 })).toBe(0);
    expect(await admin.forceRelease('lock', 'job', { fence: first.fence as number })).toBe(1);
    const second = (await waiter) as Lease;
    expect(second.fence).toBeGreaterThan(first.fence as number);
    const lost = await first.extend().catch((e: unknown) => e);
    expect(isLockstepError(lost, 'ERR_LEASE_LOST')).toBe(true);
    expect(first.signal.aborted).toBe(true);
    await second.release();
    expect(await admin.forceRelease('lock', 'job')).toBe(0);
  });

  it('force-releases semaphore holders (one by fence, or all) and passes permits on when the limit is known', async () => {
    const { lockstep } = standaloneLockstep({ stats: true });
    const sem = lockstep.semaphore('pool', { limit: 2 });
    const a = await sem.acquire();
    const b = await sem.acquire();
    const c = sem.acquire({ waitMs: 10_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    const admin = lockstep.admin();
    await eventually(async () => (await admin.inspect('semaphore', 'pool'))?.limit === 2);
    expect(await admin.forceRelease('semaphore', 'pool', { fence: String(b.fence) })).toBe(1);
    const third = (await c) as Lease;
    expect((await admin.inspect('semaphore', 'pool'))?.holderList.map((h) => h.fence).sort()).toEqual(
      [a.fence, third.fence].sort(),
    );
    expect(isLockstepError(await b.extend().catch((e: unknown) => e), 'ERR_LEASE_LOST')).toBe(true);
    expect(await admin.forceRelease('semaphore', 'pool')).toBe(2);
    expect((await admin.inspect('semaphore', 'pool'))?.used).toBe(0);
    await expect(a.release()).resolves.toBe(false);
  });

  it('rates count the grants of every process that records statistics', async () => {
    const one = standaloneLockstep({ stats: true });
    const two = standaloneLockstep({ stats: true, prefix: one.prefix });
    for (let i = 0; i < 5; i++) {
      await (await one.lockstep.lock('hot').acquire()).release();
      await (await two.lockstep.lock('hot').acquire()).release();
    }
    const admin = one.lockstep.admin();
    await eventually(async () => {
      const series = await admin.rates('lock', 'hot', 10);
      return series.points.reduce((sum, p) => sum + p.grants, 0) === 10;
    }, 10_000);
    const series = await admin.rates('lock', 'hot', 10);
    expect(series.recorded).toBe(true);
    const point = series.points.find((p) => p.grants > 0);
    expect(point?.waitP50Ms).toBeGreaterThan(0);
  });

  it('a force release racing the holder’s own release acts once and never takes the next grant', async () => {
    const { lockstep } = standaloneLockstep();
    const admin = lockstep.admin();
    const lock = lockstep.lock('race', { ttlMs: 5_000 });
    for (let i = 0; i < 20; i++) {
      const first = await lock.acquire();
      const next = lock.acquire({ waitMs: 10_000 });
      await eventually(async () => (await lock.inspect()).waiting === 1);
      const [released, forced] = await Promise.all([
        first.release(),
        admin.forceRelease('lock', 'race', { fence: first.fence as number }),
      ]);
      expect(Number(released) + forced).toBe(1);
      const second = (await next) as Lease;
      // The fence named the old holder: the grant that raced it is left alone.
      expect((await lock.inspect()).fence).toBe(second.fence);
      expect(await admin.forceRelease('lock', 'race', { fence: first.fence as number })).toBe(0);
      expect(await second.release()).toBe(true);
    }
  });

  it('validates its arguments before any I/O', async () => {
    const { lockstep, redis } = standaloneLockstep();
    const admin = lockstep.admin();
    expect(() => new LockstepAdmin({ redis, prefx: 'x' } as never)).toThrow(/prefx/);
    await expect(admin.inspect('mutex' as never, 'a')).rejects.toThrow(/kind/);
    await expect(admin.forceRelease('lock', 'a', { fence: -1 })).rejects.toThrow(/fence/);
    await expect(admin.forceRelease('lock', 'a', { fence: '01' })).rejects.toThrow(/fence/);
    expect(() => quorumLockstep().lockstep.admin()).toThrow(/quorum/);
  });

  it('close() writes the pending statistics before it resolves, so the client can be disconnected at once', async () => {
    const errors: unknown[] = [];
    const redis = standaloneClient();
    const prefix = uniquePrefix('s');
    const lockstep = new Lockstep({ redis, prefix, stats: true, onError: (e) => errors.push(e) });
    for (let i = 0; i < 3; i++) await (await lockstep.lock('closing').acquire()).release();
    await lockstep.close();
    redis.disconnect();
    const reader = standaloneClient();
    // The write was answered before close() resolved: no "Connection is closed" for onError.
    expect(errors).toEqual([]);
    const admin = new LockstepAdmin({ redis: reader, prefix });
    await eventually(async () => {
      const series = await admin.rates('lock', 'closing', 10);
      return series.points.reduce((sum, p) => sum + p.grants, 0) === 3;
    }, 10_000);
    expect(await keysWithoutTtl(reader, `*${prefix}*`)).toEqual([]);
  });
});
