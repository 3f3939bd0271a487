// lease.releaseAfter(ms): the name stays taken for ms (even if the process exits), then expires in
// Redis; the expiry is not a loss. Real Redis (standalone and Cluster).
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterLockstep, delay, standaloneLockstep } from '../../../test/support/fixtures.js';
import { DIAGNOSTICS_CHANNELS, type Lease, type LeaseLostError } from '../src/index.js';

const lostMessages: { name: string }[] = [];
const onLostMessage = (message: unknown) => lostMessages.push(message as { name: string });
diagnosticsChannel.subscribe(DIAGNOSTICS_CHANNELS.lost, onLostMessage);
afterEach(() => {
  lostMessages.length = 0;
});

describe('lease.releaseAfter()', () => {
  it('keeps a lock taken for ms, then frees it in Redis without reporting a loss', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('nightly', { ttlMs: 10_000 });
    const losses: LeaseLostError[] = [];
    const lease = await lock.acquire({ autoExtend: true, onLost: (e) => void losses.push(e) });
    const signal = lease.signal;
    const started = performance.now();
    expect(await lease.releaseAfter(1_000)).toBe(true);
    expect(lease.held).toBe(false);
    expect(await lock.tryAcquire()).toBeNull();
    const state = await lock.inspect();
    expect(state.held).toBe(true);
    expect(state.expiresInMs).toBeGreaterThan(500);
    expect(state.expiresInMs).toBeLessThanOrEqual(1_000);
    // A waiter gets the name once it expires (its re-check at the holder's deadline).
    const next = await lock.acquire({ waitMs: 5_000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(980);
    expect(next.fence).toBeGreaterThan(lease.fence as number);
    await next.release();
    await delay(50);
    expect(losses).toEqual([]);
    expect(signal.aborted).toBe(false);
    expect(lostMessages.filter((m) => m.name === 'nightly')).toEqual([]);
    expect(await lease.release()).toBe(false);
  });

  it('keeps semaphore permits taken for ms, on a Cluster too', async () => {
    const { lockstep } = clusterLockstep();
    const sem = lockstep.semaphore('exports', { limit: 2, ttlMs: 10_000 });
    const lease: Lease = await sem.acquire({ weight: 2 });
    expect(await lease.releaseAfter(300)).toBe(true);
    expect(await sem.tryAcquire()).toBeNull();
    expect((await sem.inspect()).used).toBe(2);
    await delay(400);
    const again = await sem.tryAcquire({ weight: 2 });
    expect(again).not.toBeNull();
    await again?.release();
    expect(lostMessages.filter((m) => m.name === 'exports')).toEqual([]);
  });

  it('resolves false and reports the loss when the lease was taken meanwhile', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('taken', { ttlMs: 10_000 });
    const losses: LeaseLostError[] = [];
    const lease = await lock.acquire({ onLost: (e) => void losses.push(e) });
    expect(await lockstep.admin().forceRelease('lock', 'taken')).toBe(1);
    const thief = await lock.acquire();
    expect(await lease.releaseAfter(5_000)).toBe(false);
    expect(losses.map((e) => e.reason)).toEqual(['not-held']);
    // The new holder's lease was not touched.
    expect((await lock.inspect()).fence).toBe(thief.fence);
    expect(thief.held).toBe(true);
    await thief.release();
  });

  it('refuses a bad ms before any I/O, naming it; a released lease answers false', async () => {
    const { lockstep } = standaloneLockstep();
    const lease = await lockstep.lock('bad-ms').acquire();
    for (const ms of [0, 9, 1.5, Number.NaN, -1, 2 ** 31, '100' as unknown as number]) {
      await expect(lease.releaseAfter(ms)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('ms'),
      });
    }
    expect(lease.held).toBe(true);
    expect(await lease.release()).toBe(true);
    expect(await lease.releaseAfter(1_000)).toBe(false);
  });

  it('on a lockAll lease: keeps every name taken for ms, across Cluster slots, and refuses a bad ms first', async () => {
    const { lockstep } = clusterLockstep();
    const all = await lockstep.lockAll(['report:a', 'report:b', 'report:c'], { ttlMs: 10_000 }).acquire();
    await expect(all.releaseAfter(5)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(all.held).toBe(true);
    expect(await all.releaseAfter(300)).toBe(true);
    expect(all.held).toBe(false);
    for (const name of all.names) {
      const state = await lockstep.lock(name).inspect();
      expect(state.held).toBe(true);
      expect(state.expiresInMs).toBeLessThanOrEqual(300);
    }
    expect(await lockstep.lockAll(['report:a', 'report:b', 'report:c']).tryAcquire()).toBeNull();
    await delay(400);
    const again = await lockstep.lockAll(['report:a', 'report:b', 'report:c']).tryAcquire();
    expect(again).not.toBeNull();
    await again?.release();
    expect(await all.releaseAfter(300)).toBe(false);
    expect(lostMessages.filter((m) => m.name.startsWith('report:'))).toEqual([]);
  });
});

describe('lease.releaseAfter() racing other calls on the same lease', () => {
  it('twice at once: the call that resolves true is the end Redis keeps; the other resolves false', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('twice', { ttlMs: 10_000 });
    const lease = await lock.acquire();
    const [long, short] = await Promise.all([lease.releaseAfter(8_000), lease.releaseAfter(50)]);
    expect([long, short].filter(Boolean)).toHaveLength(1);
    const state = await lock.inspect();
    if (long) {
      // The first call won: the name is taken for its 8 s, not the loser's 50 ms.
      expect(state.held).toBe(true);
      expect(state.expiresInMs).toBeGreaterThan(5_000);
      await lockstep.admin().forceRelease('lock', 'twice');
    } else {
      expect(state.expiresInMs).toBeLessThanOrEqual(50);
    }
  });

  it('twice at once, both failing on Redis: the lease keeps auto-extending as before', async () => {
    const { lockstep, redis } = standaloneLockstep({ requestTimeoutMs: 100 });
    const lock = lockstep.lock('twice-fail', { ttlMs: 1_000 });
    const losses: LeaseLostError[] = [];
    const lease = await lock.acquire({ autoExtend: true, onLost: (e) => void losses.push(e) });
    // Writes stall past requestTimeoutMs: both calls reject ERR_REDIS, nothing was given up.
    const admin = redis.duplicate();
    await admin.client('PAUSE', 300, 'WRITE');
    const results = await Promise.allSettled([lease.releaseAfter(5_000), lease.releaseAfter(5_000)]);
    await admin.quit();
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await delay(1_500);
    expect(losses).toEqual([]);
    expect(lease.held).toBe(true);
    expect(await lease.release()).toBe(true);
  });

  it('extend() while releaseAfter() is in flight does not push the end past releaseAfter', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('extend-during', { ttlMs: 10_000 });
    const lease = await lock.acquire();
    const after = lease.releaseAfter(100);
    // releaseAfter's request is on the wire; its answer cannot have been read yet.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const extended = lease.extend(20_000).then(
      () => 'extended',
      (e: { code?: string }) => e.code,
    );
    expect(await after).toBe(true);
    await extended;
    const state = await lock.inspect();
    expect(state.expiresInMs).toBeLessThanOrEqual(100);
  });
});
