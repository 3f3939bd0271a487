import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import { standalonePort } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';
import { delay, eventually, quorumLockstep, standaloneLockstep } from '../../../test/support/fixtures.js';
import type { LeaseHandle } from '../src/index.js';
import { createMemoryLockstep } from '../src/testing/index.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/adopt-script.ts', import.meta.url));
const run = promisify(execFile);

async function adoptElsewhere(prefix: string, kind: 'lock' | 'semaphore', handle: LeaseHandle): Promise<string> {
  const config = JSON.stringify({ port: standalonePort(), prefix, kind, handle });
  const { stdout } = await run(process.execPath, ['--import', 'tsx', SCRIPT, config], {
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 30_000,
  });
  return stdout.trim();
}

describe('lease.toJSON() and adopt()', () => {
  it('exports a handle that survives JSON', async () => {
    const { lockstep } = standaloneLockstep();
    const lease = await lockstep.lock('job:1').acquire();
    const handle = JSON.parse(JSON.stringify(lease)) as LeaseHandle;
    expect(handle).toEqual({
      name: 'job:1',
      kind: 'lock',
      id: expect.any(String),
      token: lease.token,
      fence: lease.fence,
      weight: 1,
      expiresAt: expect.any(Number),
    });
    expect(Math.abs(handle.expiresAt - lease.expiresAt)).toBeLessThanOrEqual(2);
    await lease.release();
  });

  it('console.log and util.inspect show a lease without its token (also inside a lockAll lease)', async () => {
    const { lockstep } = standaloneLockstep();
    const lease = await lockstep.lock('shown').acquire();
    const text = inspect(lease);
    expect(text).not.toContain(lease.token);
    expect(text).toContain("name: 'shown'");
    expect(text).toContain(`fence: ${lease.fence}`);
    expect(text).toContain('held: true');
    const all = await lockstep.lockAll(['a', 'b']).acquire();
    const nested = inspect(all, { depth: 5 });
    for (const one of all.leases) expect(nested).not.toContain(one.token);
    await all.release();
    await lease.release();
    expect(inspect(lease)).toContain('held: false');
  });

  it('a spread, Object.entries or a structured logger of the fields leaves the token out', async () => {
    for (const lockstep of [standaloneLockstep().lockstep, createMemoryLockstep()]) {
      const lease = await lockstep.semaphore('fields', { limit: 2 }).acquire();
      const spread = { ...lease } as Record<string, unknown>;
      expect(spread).toMatchObject({ name: 'fields', fence: lease.fence, weight: 1 });
      expect(Object.values(spread)).not.toContain(lease.token);
      expect(Object.keys(lease)).not.toContain('token');
      expect(JSON.stringify(Object.entries(lease))).not.toContain(lease.token);
      // Still readable, and still in the exported handle.
      expect(lease.token).toMatch(/^[\w-]{22}$/);
      expect(lease.toJSON().token).toBe(lease.token);
      await lease.release();
    }
  });

  it('a lock acquired in one process is adopted and released in another', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const lock = lockstep.lock('job:2', { ttlMs: 20_000 });
    const lease = await lock.acquire();
    expect(await adoptElsewhere(prefix, 'lock', lease.toJSON())).toBe('released');
    // Released by the other process: free at once, and this process's lease says so.
    const next = await lock.tryAcquire();
    expect(next).not.toBeNull();
    expect(next?.fence).toBeGreaterThan(lease.fence as number);
    await expect(lease.extend()).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    await next?.release();
  });

  it('permits acquired in one process are adopted and released in another', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const semaphore = lockstep.semaphore('pool', { limit: 2 });
    const lease = await semaphore.acquire({ weight: 2 });
    expect(lease.toJSON()).toMatchObject({ kind: 'semaphore', weight: 2 });
    expect(await semaphore.tryAcquire()).toBeNull();
    expect(await adoptElsewhere(prefix, 'semaphore', lease.toJSON())).toBe('released');
    const again = await semaphore.tryAcquire({ weight: 2 });
    expect(again).not.toBeNull();
    await again?.release();
  });

  it('a stale handle is refused with ERR_LEASE_LOST, in another process and in this one', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const lock = lockstep.lock('job:3', { ttlMs: 100 });
    const released = await lock.acquire();
    const handle = released.toJSON();
    await released.release();
    expect(await adoptElsewhere(prefix, 'lock', handle)).toBe('ERR_LEASE_LOST');
    await expect(lock.adopt(handle)).rejects.toMatchObject({ code: 'ERR_LEASE_LOST', reason: 'not-held' });
    // Expired, then taken by someone else: the old handle cannot take the new holder's lock.
    const expired = (await lock.acquire()).toJSON();
    await delay(150);
    const holder = await lock.acquire();
    await expect(lock.adopt(expired)).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    expect(holder.held).toBe(true);
    await holder.release();
  });

  it('an adopted lease extends, auto-extends and reports loss as usual', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    // A TTL long enough that a loaded machine still extends in time: the deletion below must find
    // the key.
    const lock = lockstep.lock('job4', { ttlMs: 2_000 });
    const lease = await lock.acquire();
    const adopted = await lock.adopt(lease.toJSON(), { autoExtend: true });
    expect(adopted.fence).toBe(lease.fence);
    await delay(2_500);
    expect(adopted.held).toBe(true);
    expect(await redis.del(`{${prefix}:l:job4}:h`)).toBe(1);
    await eventually(() => adopted.signal.aborted);
    expect(adopted.lostError?.code).toBe('ERR_LEASE_LOST');
    await adopted.release();
    await lease.release();
  });

  it('checks the handle before any I/O, never echoing the token', async () => {
    const { lockstep } = standaloneLockstep();
    const lease = await lockstep.lock('job:5').acquire();
    const handle = lease.toJSON();
    const bad = [
      [{ ...handle, name: 'other' }, '`handle.name`'],
      [{ ...handle, kind: 'semaphore' }, '`handle.kind`'],
      [{ ...handle, token: '' }, '`handle.token`'],
      [{ ...handle, fence: 'x' }, '`handle.fence`'],
      [{ ...handle, weight: 2 }, '`handle.weight`'],
      [null, '`handle`'],
    ] as const;
    for (const [value, message] of bad) {
      const error = await lockstep
        .lock('job:5')
        .adopt(value as LeaseHandle)
        .catch((e: Error) => e);
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).not.toContain(handle.token);
    }
    await expect(lockstep.lock('job:5').adopt(handle, { autoExtnd: true } as never)).rejects.toThrow(/autoExtend/);
    await lease.release();
  });

  it('quorum locks: adopt checks a majority, the fence is null', async () => {
    const { lockstep } = quorumLockstep();
    const lock = lockstep.lock('job:6', { ttlMs: 5_000 });
    const lease = await lock.acquire();
    expect(lease.toJSON().fence).toBeNull();
    const adopted = await lock.adopt(JSON.parse(JSON.stringify(lease)) as LeaseHandle);
    expect(adopted.fence).toBeUndefined();
    expect(await adopted.release()).toBe(true);
    await expect(lock.adopt(lease.toJSON())).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
  });

  it('in memory: adopt and a stale handle', async () => {
    const lockstep = createMemoryLockstep();
    const lease = await lockstep.semaphore('pool', { limit: 2 }).acquire({ weight: 2 });
    const adopted = await lockstep.semaphore('pool', { limit: 2 }).adopt(lease.toJSON());
    expect(await adopted.release()).toBe(true);
    await expect(lockstep.semaphore('pool', { limit: 2 }).adopt(lease.toJSON())).rejects.toMatchObject({
      code: 'ERR_LEASE_LOST',
    });
    await lockstep.close();
  });
});
