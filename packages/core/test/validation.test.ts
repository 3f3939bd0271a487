// Bad input gets ERR_INVALID_ARGUMENT before any Redis call: the lazy client never even connects.
import { Cluster, type Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Lockstep } from '../src/index.js';
import { lazyClients } from './support/lazy-clients.js';

const lazyClient = lazyClients();

const invalid = { code: 'ERR_INVALID_ARGUMENT' };

describe('input validation', () => {
  it('rejects a wrong client type and bad Lockstep options', () => {
    const bad: unknown[] = [undefined, null, {}, 'redis://x', { get: () => 1 }, [], [{}]];
    for (const redis of bad) {
      expect(() => new Lockstep({ redis } as never)).toThrow(InvalidArgumentError);
    }
    const redis = lazyClient();
    expect(() => new Lockstep({ redis: [redis, redis] })).toThrow(/distinct/);
    // redlock's `new Redlock([client])`, ported as is: quorum mode on one server (no fence, no queue).
    expect(() => new Lockstep({ redis: [redis] })).toThrow(/got an array of 1 client.*`redis: client`/);
    expect(() => new Lockstep({ redis, prefix: 'a{b}' })).toThrow(/prefix/);
    expect(() => new Lockstep({ redis, prefix: '' })).toThrow(/prefix/);
    expect(() => new Lockstep({ redis, requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
    expect(() => new Lockstep({ redis, driftFactor: Number.NaN })).toThrow(/driftFactor/);
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(() => new Lockstep({ redis: [cluster as unknown as Redis] })).toThrow(/redis\[0\]/);
    cluster.disconnect();
  });

  it('rejects bad TTLs, names and options with a message naming the value', async () => {
    const lockstep = new Lockstep({ redis: lazyClient() });
    for (const ttlMs of [0, -1, Number.NaN, 1.5, 2 ** 31, Number.POSITIVE_INFINITY]) {
      expect(() => lockstep.lock('x', { ttlMs })).toThrow(/`ttlMs`/);
    }
    expect(() => lockstep.lock('x', { ttlMs: -1 })).toThrow('got -1');
    for (const name of ['', 'x'.repeat(513), 'é'.repeat(257), undefined, 42]) {
      expect(() => lockstep.lock(name as string)).toThrow(/`name`/);
    }
    expect(() => lockstep.lock('x'.repeat(512))).not.toThrow();
    expect(() => lockstep.lock('x', { maxWaiters: -1 })).toThrow(/maxWaiters/);
    const lock = lockstep.lock('x');
    await expect(lock.acquire({ waitMs: -5 })).rejects.toMatchObject(invalid);
    await expect(lock.acquire({ waitMs: Number.NaN })).rejects.toMatchObject(invalid);
    await expect(lock.acquire({ signal: 'nope' as never })).rejects.toMatchObject(invalid);
    await expect(lock.acquire({ onLost: 3 as never })).rejects.toMatchObject(invalid);
    await expect(lock.acquire({ wait: 5 } as never)).rejects.toMatchObject(invalid);
    await expect(lock.tryAcquire({ waitMs: 5 } as never)).rejects.toMatchObject(invalid);
    await expect(lock.withLock(undefined as never)).rejects.toMatchObject(invalid);
    const aborted = AbortSignal.abort();
    await expect(lock.acquire({ signal: aborted })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('rejects bad semaphore options and acquisitions', async () => {
    const lockstep = new Lockstep({ redis: lazyClient() });
    expect(() => lockstep.semaphore('s', {} as never)).toThrow(
      'Expected `limit` to be given: an integer from 1 to 1000000',
    );
    expect(() => lockstep.semaphore('s', { limit: undefined } as never)).toThrow(/`limit` to be given/);
    expect(() => lockstep.semaphore('s', { limit: 1_000_001 })).toThrow(/`limit` to be an integer from 1 to 1000000/);
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => lockstep.semaphore('s', { limit })).toThrow(/limit/);
    expect(() => lockstep.semaphore('s', { limit: 1, priorities: [] })).toThrow(/priorities/);
    expect(() => lockstep.semaphore('s', { limit: 1, priorities: ['a', 'a'] })).toThrow(/distinct/);
    expect(() => lockstep.semaphore('s', { limit: 1, defaultPriority: 'zzz' })).toThrow(/zzz/);
    expect(() => lockstep.semaphore('s', { limit: 1, agingMs: -1 })).toThrow(/agingMs/);
    const sem = lockstep.semaphore('s', { limit: 3, priorities: ['hi', 'lo'] });
    await expect(sem.acquire({ weight: 4 })).rejects.toThrow(/at most the limit 3, got 4/);
    await expect(sem.acquire({ weight: 0 })).rejects.toMatchObject(invalid);
    await expect(sem.acquire({ priority: 'mid' })).rejects.toThrow(/hi, lo/);
    await expect(sem.acquire({ priority: 0.5 })).rejects.toMatchObject(invalid);
    await expect(sem.acquire({ priority: 2 ** 21 })).rejects.toMatchObject(invalid);
    await expect(sem.setLimit(1.5)).rejects.toMatchObject(invalid);
  });
});
