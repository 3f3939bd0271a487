import { scanKeys } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { delay, eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import { isLockstepError, type Lease, LeaseLostError } from '../src/index.js';

const keysOf = (prefix: string, name: string) => ({ holder: `{${prefix}:l:${name}}:h` });
const holderOf = (lease: Lease) => `${lease.fence}:${lease.token}`;

describe('lock on a standalone Redis', () => {
  it('grants, reports fence, token and validity, and releases', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('invoice', { ttlMs: 5_000 });
    const before = Date.now();
    const lease = await lock.acquire();
    expect(lease.name).toBe('invoice');
    expect(lease.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Number.isSafeInteger(lease.fence)).toBe(true);
    expect(lease.expiresAt).toBeGreaterThan(before + 4_000);
    expect(lease.expiresAt).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(lease.held).toBe(true);
    expect(await redis.get(keysOf(prefix, 'invoice').holder)).toBe(holderOf(lease));
    expect(await lease.release()).toBe(true);
    // Released: free, remembering only the last fence until the old deadline.
    expect(await redis.get(keysOf(prefix, 'invoice').holder)).toBe(`${lease.fence}:`);
  });

  it('mints strictly increasing fences, even after the keys expired', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('fenced', { ttlMs: 100 });
    const fences: number[] = [];
    for (let i = 0; i < 20; i++) {
      const lease = await lock.acquire();
      fences.push(lease.fence as number);
      await lease.release();
    }
    await redis.del(keysOf(prefix, 'fenced').holder);
    const after = await lock.acquire();
    fences.push(after.fence as number);
    await after.release();
    for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1] as number);
  });

  it('tryAcquire returns null while held and never waits', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('try');
    const held = await lock.tryAcquire();
    expect(held).not.toBeNull();
    expect(await lock.tryAcquire()).toBeNull();
    await held?.release();
    const again = await lock.tryAcquire();
    expect(again).not.toBeNull();
    await again?.release();
  });

  it('acquire({ waitMs: 0 }) throws ERR_ACQUIRE_TIMEOUT when held', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('zero');
    const held = await lock.acquire();
    await expect(lock.acquire({ waitMs: 0 })).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    await held.release();
  });

  it('release resolves true once, then false; release after expiry is false', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('double', { ttlMs: 100 });
    const lease = await lock.acquire();
    expect(await lease.release()).toBe(true);
    expect(await lease.release()).toBe(false);
    const short = await lock.acquire();
    await delay(150);
    expect(short.held).toBe(false);
    expect(await short.release()).toBe(false);
  });

  it('await using releases on scope exit', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('scoped');
    let fence = 0;
    {
      await using lease = await lock.acquire({ waitMs: 1_000 });
      fence = lease.fence as number;
      expect(await redis.get(keysOf(prefix, 'scoped').holder)).toBe(holderOf(lease));
    }
    expect(await redis.get(keysOf(prefix, 'scoped').holder)).toBe(`${fence}:`);
  });

  it('hands the lock to waiters in arrival order, pushed without polling', async () => {
    const { lockstep } = standaloneLockstep();
    // Heartbeats every ~20 s and a 60 s holder TTL: only a push can wake a waiter within seconds.
    const lock = lockstep.lock('fifo', { ttlMs: 60_000, waiterTtlMs: 60_000 });
    const first = await lock.acquire();
    const order: number[] = [];
    const waiters: Promise<Lease>[] = [];
    for (let i = 0; i < 5; i++) {
      waiters.push(
        lock.acquire({ waitMs: 30_000 }).then((lease) => {
          order.push(i);
          return lease;
        }),
      );
      await eventually(async () => (await lock.inspect()).waiting === i + 1);
    }
    const started = Date.now();
    await first.release();
    for (let i = 0; i < 5; i++) {
      const lease = await (waiters[i] as Promise<Lease>);
      await lease.release();
    }
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a lost lock aborts the signal, calls onLost, and extend rejects ERR_LEASE_LOST', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('lost', { ttlMs: 600 });
    const losses: LeaseLostError[] = [];
    const lease = await lock.acquire({ autoExtend: true, onLost: (err) => void losses.push(err) });
    const aborted = new Promise<unknown>((resolve) =>
      lease.signal.addEventListener('abort', () => resolve(lease.signal.reason)),
    );
    await redis.del(keysOf(prefix, 'lost').holder);
    const reason = await aborted;
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(losses).toHaveLength(1);
    expect(lease.held).toBe(false);
    await expect(lease.extend()).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
  });

  it('an overwritten lock is lost, and the late release does not delete the new owner', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('overwritten', { ttlMs: 2_000 });
    const lease = await lock.acquire();
    await redis.set(keysOf(prefix, 'overwritten').holder, 'someone-else', 'PX', 2_000);
    await expect(lease.extend()).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    expect(lease.signal.aborted).toBe(true);
    expect(await lease.release()).toBe(false);
    expect(await redis.get(keysOf(prefix, 'overwritten').holder)).toBe('someone-else');
    await redis.del(keysOf(prefix, 'overwritten').holder);
  });

  it('extend never re-creates an expired lock', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('expired', { ttlMs: 50 });
    const lease = await lock.acquire();
    await delay(80);
    await expect(lease.extend(5_000)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await redis.exists(keysOf(prefix, 'expired').holder)).toBe(0);
  });

  it('auto-extension keeps a lease past its TTL and stops on release', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    // Over two TTLs; a 1 s TTL, so a stall of a few hundred ms on a loaded machine is no loss.
    const lock = lockstep.lock('extended', { ttlMs: 1_000 });
    const lease = await lock.acquire({ autoExtend: true });
    await delay(2_200);
    expect(lease.held).toBe(true);
    expect(await redis.get(keysOf(prefix, 'extended').holder)).toBe(holderOf(lease));
    expect(await lease.release()).toBe(true);
    // The released key keeps the last extension's TTL, then expires: no extension followed.
    await delay(1_100);
    expect(await redis.exists(keysOf(prefix, 'extended').holder)).toBe(0);
  });

  it('an AbortSignal cancels a waiter and leaves no queue entry', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('abort');
    const held = await lock.acquire();
    const controller = new AbortController();
    const waiting = lock.acquire({ waitMs: 30_000, signal: controller.signal });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    controller.abort(new Error('user gave up'));
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await eventually(async () => (await lock.inspect()).waiting === 0);
    await held.release();
    const keys = await scanKeys(redis, `*${prefix}*`);
    expect(keys.filter((k) => k.endsWith(':q') || k.endsWith(':d') || k.endsWith(':i'))).toEqual([]);
    expect(await lock.tryAcquire()).not.toBeNull();
  });

  it('a timed-out waiter leaves no stray key', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('timeout');
    const held = await lock.acquire();
    await expect(lock.acquire({ waitMs: 200 })).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    await held.release();
    await eventually(async () => (await scanKeys(redis, `*${prefix}*:[qdi]`)).length === 0);
  });

  it('withLock returns the result, releases, and rethrows the callback error', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('with');
    expect(await lock.withLock(async (lease) => lease.fence !== undefined)).toBe(true);
    await expect(
      lock.withLock(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await lock.inspect()).held).toBe(false);
  });

  it('withLock rejects with ERR_LEASE_LOST when the lease was lost during the callback', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lock = lockstep.lock('with-lost', { ttlMs: 300 });
    const result = lock.withLock(async (lease) => {
      await redis.del(keysOf(prefix, 'with-lost').holder);
      await new Promise((resolve) => lease.signal.addEventListener('abort', resolve));
      return 'finished anyway';
    });
    await expect(result).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
  });

  it('absorbs SCRIPT FLUSH mid-run (a NOSCRIPT reply is retried as EVAL)', async () => {
    const { lockstep, redis } = standaloneLockstep();
    const lock = lockstep.lock('flush');
    for (let i = 0; i < 20; i++) {
      if (i % 5 === 0) await redis.script('FLUSH');
      const lease = await lock.acquire();
      await lease.extend();
      await lease.release();
    }
  });

  it('keeps no lease token in error messages', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('secret', { ttlMs: 50 });
    const lease = await lock.acquire();
    await delay(80);
    const error = await lease.extend().catch((err: unknown) => err);
    expect(isLockstepError(error)).toBe(true);
    expect(String((error as Error).message)).not.toContain(lease.token);
  });

  it('close() ends waits with ERR_CLOSED, stops auto-extension and takes no new work', async () => {
    const { lockstep } = standaloneLockstep();
    const lock = lockstep.lock('closing', { ttlMs: 300 });
    const held = await lock.acquire({ autoExtend: true });
    const waiting = lock.acquire({ waitMs: 10_000 });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    // Expected before close() resolves: close() may end the wait while it still awaits its subscriber.
    const ended = expect(waiting).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await lockstep.close();
    await ended;
    await delay(500);
    expect(held.held).toBe(false);
    expect(() => lockstep.lock('other')).toThrow(/closed/);
    await expect(lock.acquire()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('reports an unreachable Redis as ERR_REDIS, never as contention', async () => {
    const redis = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const { Lockstep } = await import('../src/index.js');
    const lockstep = new Lockstep({ redis, requestTimeoutMs: 500 });
    await expect(lockstep.lock('down').acquire({ waitMs: 300 })).rejects.toMatchObject({ code: 'ERR_REDIS' });
    await expect(lockstep.lock('down').tryAcquire()).rejects.toMatchObject({ code: 'ERR_REDIS' });
    await lockstep.close();
    redis.disconnect();
  });
});
