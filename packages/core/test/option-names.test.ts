// Every option name is checked: an unknown or misspelled one, or null where a value is expected, is
// ERR_INVALID_ARGUMENT before any Redis call, naming the option and suggesting the close name.
import { Cluster, type Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { assertKnownOptions, InvalidArgumentError, Lockstep } from '../src/index.js';
import { lazyClients } from './support/lazy-clients.js';

const lazyClient = lazyClients();

describe('option names', () => {
  it("a peer's option name gets ERR_INVALID_ARGUMENT with the right name suggested", () => {
    const lockstep = new Lockstep({ redis: lazyClient() });
    expect(() => lockstep.lock('a', { ttl: 60_000 } as never)).toThrow(InvalidArgumentError);
    expect(() => lockstep.lock('a', { ttl: 60_000 } as never)).toThrow(
      'Unknown option `ttl` in lock options (got 60000): did you mean `ttlMs`?',
    );
    expect(() => lockstep.lock('a', { ttlms: 1_000 } as never)).toThrow(/`ttlms`.*`ttlMs`/);
    expect(() => lockstep.lock('a', { waiterTTLMs: 1_000 } as never)).toThrow(/`waiterTtlMs`/);
    expect(() => lockstep.lock('a', { maxWaiter: 3 } as never)).toThrow(/`maxWaiters`/);
    expect(() => lockstep.lock('a', { duration: 3 } as never)).toThrow(/`ttlMs`/);
    expect(() => lockstep.lock('a', { zzzzzz: 3 } as never)).toThrow(/expected one of `ttlMs`, `waiterTtlMs`/);
    expect(() => lockstep.semaphore('s', { limit: 2, ttl: 5_000 } as never)).toThrow(/semaphore options.*`ttlMs`/);
    expect(() => lockstep.semaphore('s', { limit: 2, concurrency: 3 } as never)).toThrow(/`limit`/);
    expect(() => lockstep.semaphore('s', { limit: 2, priority: ['a'] } as never)).toThrow(/`priorities`/);
  });

  it("an option given to the wrong call, or a peer's name for it, says which call takes it", async () => {
    // redis-semaphore's Mutex takes every option in one object; redlock takes the duration per call.
    const lockstep = new Lockstep({ redis: lazyClient() });
    expect(() => lockstep.lock('a', { acquireTimeout: 2_000 } as never)).toThrow(
      'Unknown option `acquireTimeout` in lock options (got 2000): Lockstep calls it `waitMs`, an option of ' +
        'acquire(), withLock() and withPermit()',
    );
    expect(() => lockstep.lock('a', { waitMs: 2_000 } as never)).toThrow(
      'Unknown option `waitMs` in lock options (got 2000): `waitMs` is an option of acquire(), withLock() and withPermit()',
    );
    expect(() => lockstep.lock('a', { onLockLost: () => {} } as never)).toThrow(
      /calls it `onLost`, an option of acquire\(\)/,
    );
    expect(() => lockstep.lock('a', { refreshInterval: 8_000 } as never)).toThrow(/calls it `autoExtend`/);
    expect(() => lockstep.semaphore('s', { limit: 2, autoExtend: true } as never)).toThrow(
      /`autoExtend` is an option of acquire\(\), tryAcquire\(\)/,
    );
    expect(() => lockstep.semaphore('s', { limit: 2, maxConcurrent: 3 } as never)).toThrow(/did you mean `limit`/);
    expect(() => lockstep.semaphore('s', { limit: 2, highWater: 3 } as never)).toThrow(/did you mean `maxWaiters`/);
    expect(() => new Lockstep({ redis: lazyClient(), ttlMs: 5_000 } as never)).toThrow(
      /`ttlMs` is an option of lockstep\.lock\(name, options\) and lockstep\.semaphore\(name, options\)/,
    );
    const lock = lockstep.lock('a');
    await expect(lock.acquire({ ttlMs: 5_000 } as never)).rejects.toThrow(
      'Unknown option `ttlMs` in acquire options (got 5000): `ttlMs` is an option of lockstep.lock(name, options) ' +
        'and lockstep.semaphore(name, options)',
    );
    await expect(lock.acquire({ lockTimeout: 5_000 } as never)).rejects.toThrow(
      /calls it `ttlMs`, an option of lockstep\.lock/,
    );
    await expect(lock.acquire({ limit: 2 } as never)).rejects.toThrow(/`limit` is an option of lockstep\.semaphore/);
    await expect(lock.acquire({ weight: 2 } as never)).rejects.toThrow(
      /`weight` is an option of a semaphore's acquire\(\)/,
    );
    await expect(lock.acquire({ onLockLost: () => {} } as never)).rejects.toThrow(/did you mean `onLost`/);
    await expect(lock.acquire({ refreshInterval: 1_000 } as never)).rejects.toThrow(/did you mean `autoExtend`/);
    await expect(lock.acquire({ acquireAttemptsLimit: 3 } as never)).rejects.toThrow(/did you mean `waitMs`/);
    await expect(lock.withLock(() => 1, { automaticExtensionThreshold: 500 } as never)).rejects.toThrow(
      /did you mean `autoExtend`/,
    );
    // A name Lockstep has nowhere still lists what the call takes.
    await expect(lock.acquire({ retryInterval: 10 } as never)).rejects.toThrow(/expected one of `waitMs`, `signal`/);
  });

  it('unknown keys of new Lockstep() and of its quorum settings are rejected', () => {
    const redis = lazyClient();
    expect(() => new Lockstep({ redis, keyPrefix: 'x' } as never)).toThrow(/Lockstep options.*`prefix`/);
    expect(() => new Lockstep({ redis, timeout: 5 } as never)).toThrow(/`waitMs`|`requestTimeoutMs`/);
    expect(() => new Lockstep({ redis, requestTimeout: 5 } as never)).toThrow(/`requestTimeoutMs`/);
    expect(() => new Lockstep({ redis, timeoutMs: 5 } as never)).toThrow(/did you mean `requestTimeoutMs`/);
    // murlock's lockKeyPrefix ('default' | 'custom') says whether its keys get a Class:method prefix,
    // not what Lockstep's `prefix` is: no suggestion (Lockstep's names are always used as given).
    expect(() => new Lockstep({ redis, lockKeyPrefix: 'custom' } as never)).toThrow(/Unknown .*lockKeyPrefix/);
    expect(() => new Lockstep({ redis, lockKeyPrefix: 'custom' } as never)).not.toThrow(/did you mean/);
    expect(() => new Lockstep({ client: redis } as never)).toThrow(/`redis`/);
    expect(() => new Lockstep({ redis: [redis, lazyClient()], quorum: { nodeTimeout: 5 } } as never)).toThrow(
      /`quorum` options.*`nodeTimeoutMs`/,
    );
  });

  it('null where a value is expected is rejected, never taken as the default', async () => {
    const redis = lazyClient();
    expect(() => new Lockstep({ redis, requestTimeoutMs: null } as never)).toThrow(/`requestTimeoutMs`.*got null/);
    expect(() => new Lockstep({ redis, prefix: null } as never)).toThrow(InvalidArgumentError);
    expect(() => new Lockstep({ redis, driftFactor: null } as never)).toThrow(/driftFactor/);
    expect(() => new Lockstep({ redis, onError: null } as never)).toThrow(/onError/);
    expect(() => new Lockstep({ redis, quorum: null } as never)).toThrow(/quorum/);
    const lockstep = new Lockstep({ redis });
    for (const key of ['ttlMs', 'waiterTtlMs', 'maxWaiters']) {
      expect(() => lockstep.lock('a', { [key]: null })).toThrow(new RegExp(`\`${key}\`.*got null`));
    }
    for (const key of ['ttlMs', 'waiterTtlMs', 'maxWaiters', 'agingMs', 'priorities', 'defaultPriority']) {
      expect(() => lockstep.semaphore('s', { limit: 1, [key]: null })).toThrow(InvalidArgumentError);
    }
    expect(() => lockstep.semaphore('s', { limit: null } as never)).toThrow(/limit/);
    const lock = lockstep.lock('a');
    for (const key of ['waitMs', 'autoExtend', 'signal', 'onLost']) {
      await expect(lock.acquire({ [key]: null })).rejects.toThrow(new RegExp(`\`${key}\``));
    }
    const sem = lockstep.semaphore('s', { limit: 2 });
    await expect(sem.acquire({ weight: null } as never)).rejects.toThrow(/`weight`.*got null/);
    await expect(sem.acquire({ priority: null } as never)).rejects.toThrow(/`priority`.*got null/);
  });

  it("a lock's acquire options have their own list: priority and weight belong to semaphores", async () => {
    const lockstep = new Lockstep({ redis: lazyClient() });
    const lock = lockstep.lock('a');
    await expect(lock.acquire({ priority: 1 } as never)).rejects.toThrow(
      /Unknown option `priority` in acquire options/,
    );
    await expect(lock.acquire({ weight: 2 } as never)).rejects.toThrow(/Unknown option `weight`/);
    await expect(lock.tryAcquire({ weight: 2 } as never)).rejects.toThrow(/Unknown option `weight`/);
    await expect(lock.withLock(() => 1, { ttlMs: 5 } as never)).rejects.toThrow(/Unknown option `ttlMs`/);
    await expect(lock.acquire({ timeout: 5 } as never)).rejects.toThrow(/did you mean `waitMs`/);
    const sem = lockstep.semaphore('s', { limit: 2 });
    await expect(sem.acquire({ wieght: 2 } as never)).rejects.toThrow(/did you mean `weight`/);
    await expect(sem.tryAcquire({ prio: 2 } as never)).rejects.toThrow(/did you mean `priority`/);
    await expect(sem.withPermit(() => 1, { ttlMs: 2 } as never)).rejects.toThrow(/Unknown option `ttlMs`/);
  });

  it("assertKnownOptions is exported for the integration packages' own options", () => {
    expect(() => assertKnownOptions({ name: 'x', waitMs: 1 }, ['name', 'waitMs'], 'x options')).not.toThrow();
    expect(() => assertKnownOptions(undefined, ['name'])).not.toThrow();
    expect(() => assertKnownOptions({ wait: 1 }, ['name', 'waitMs'], '@WithLock() options')).toThrow(
      'Unknown option `wait` in @WithLock() options (got 1): did you mean `waitMs`?',
    );
    expect(() => assertKnownOptions({ zzz: 1 }, ['name'])).toThrow(InvalidArgumentError);
  });

  it('a Cluster in the quorum array says so, and what quorum mode needs', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(() => new Lockstep({ redis: [lazyClient(), cluster as unknown as Redis] })).toThrow(
      /`redis\[1\]`.*got an ioredis Cluster: quorum mode needs one standalone Redis client per independent server/,
    );
    cluster.disconnect();
  });
});
