// An option given as `undefined` (a config value passed through, as exactOptionalPropertyTypes users
// write it) is absent: its default applies, and it is never an unknown or invalid value.
import { describe, expect, it } from 'vitest';
import { standaloneLockstep } from '../../../test/support/fixtures.js';
import { Lockstep, LockstepAdmin } from '../src/index.js';
import { createMemoryLockstep } from '../src/testing/index.js';
import { lazyClients } from './support/lazy-clients.js';

const lazyClient = lazyClients();
const unset = undefined;

describe('options given as undefined', () => {
  it('new Lockstep(), its quorum settings and LockstepAdmin take their defaults', () => {
    const redis = lazyClient();
    const lockstep = new Lockstep({
      redis,
      prefix: unset,
      requestTimeoutMs: unset,
      driftFactor: unset,
      onError: unset,
      quorum: unset,
      stats: unset,
    });
    expect(lockstep.admin().prefix).toBe('lockstep');
    const quorum = {
      nodeTimeoutMs: unset,
      retryDelayMs: unset,
      retryJitterMs: unset,
      maxInFlight: unset,
      releaseRetries: unset,
    };
    expect(new Lockstep({ redis: [lazyClient(), lazyClient(), lazyClient()], quorum }).isQuorum).toBe(true);
    expect(new LockstepAdmin({ redis, prefix: unset, requestTimeoutMs: unset }).prefix).toBe('lockstep');
  });

  it('lock options and every acquisition of a lock take their defaults', async () => {
    const { lockstep } = standaloneLockstep({ requestTimeoutMs: unset, driftFactor: unset, stats: unset });
    const lock = lockstep.lock('undefined-options', { ttlMs: unset, waiterTtlMs: unset, maxWaiters: unset });
    const before = Date.now();
    const lease = await lock.acquire({ waitMs: unset, signal: unset, autoExtend: unset, onLost: unset });
    // The default ttlMs of 10 s, not a short or absent TTL.
    expect(lease.expiresAt).toBeGreaterThan(before + 9_000);
    const tryOptions = { waitMs: unset, signal: unset, autoExtend: unset, onLost: unset };
    expect(await lock.tryAcquire(tryOptions)).toBeNull();
    const adopted = await lock.adopt(lease.toJSON(), { autoExtend: unset, onLost: unset });
    expect(adopted.held).toBe(true);
    expect(await lockstep.admin().forceRelease('lock', 'undefined-options', { fence: unset })).toBe(1);
    expect(await lock.withLock((held) => held.name, { waitMs: unset, autoExtend: unset })).toBe('undefined-options');
    const both = await lockstep.lockAll(['u:a', 'u:b'], { ttlMs: unset }).tryAcquire(tryOptions);
    expect(both?.names).toEqual(['u:a', 'u:b']);
    await both?.release();
  });

  it('semaphore options and acquisitions take their defaults', async () => {
    const { lockstep } = standaloneLockstep();
    const semaphore = lockstep.semaphore('undefined-options', {
      limit: 2,
      ttlMs: unset,
      waiterTtlMs: unset,
      maxWaiters: unset,
      priorities: unset,
      defaultPriority: unset,
      agingMs: unset,
    });
    const permit = await semaphore.acquire({ priority: unset, weight: unset, waitMs: unset, signal: unset });
    // A waitMs passed through to tryAcquire (with the rest of an acquisition's config) is absent too.
    const tryOptions = { waitMs: unset, signal: unset };
    expect(permit.weight).toBe(1);
    const second = await semaphore.tryAcquire({ ...tryOptions, priority: unset, weight: unset });
    expect(second?.weight).toBe(1);
    expect(await semaphore.tryAcquire({ weight: unset })).toBeNull();
    await Promise.all([permit.release(), second?.release()]);
    expect(await semaphore.withPermit((p) => p.weight, { weight: unset, autoExtend: unset })).toBe(1);
  });

  it('the in-memory Lockstep takes its defaults', async () => {
    const memory = createMemoryLockstep({ driftFactor: unset, onError: unset });
    const lease = await memory.lock('a', { ttlMs: unset }).acquire({ waitMs: unset });
    expect(lease.held).toBe(true);
    await memory.close();
  });
});
