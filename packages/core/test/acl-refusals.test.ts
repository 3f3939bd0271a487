// A permission the Redis ACL user lacks is a configuration error, not an outage: each class of
// missing rule (a command the client sends, a command inside a script, the key pattern, the
// channel pattern, the credentials) fails an acquire() at once with ERR_REDIS marked `refused`,
// instead of retrying for its whole waitMs; a refusal while a lease is held or a waiter is queued
// is reported once through onError and not retried.
import { aclUrl, type RedisServer, startRedisServer } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/fixtures.js';
import {
  isRedisRefusal,
  type LeaseLostError,
  Lockstep,
  type LockstepOptions,
  RedisUnavailableError,
} from '../src/index.js';
import { clientAs, createAclUser } from './support/acl-rules.js';

/** An acquire that waits this long must fail well before: a refusal is not retried. */
const WAIT_MS = 15_000;
const AT_ONCE_MS = 5_000;

let server: RedisServer;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  await server.stop();
});

function lockstepOn(redis: Redis, options: Partial<LockstepOptions> = {}): Lockstep {
  const lockstep = new Lockstep({ redis, onError: () => undefined, ...options });
  cleanups.push(async () => redis.disconnect());
  cleanups.push(() => lockstep.close());
  return lockstep;
}

/** A Lockstep as a new user with the app's documented rules and then `extra`. */
async function lockstepWithout(user: string, extra: string, options: Partial<LockstepOptions> = {}) {
  await createAclUser(server.port, 'lockstep-app', user, extra);
  return lockstepOn(clientAs(server.port, user), options);
}

/** Runs `acquire`, expecting ERR_REDIS marked refused, well before WAIT_MS. */
async function refusedAtOnce(acquire: () => Promise<unknown>): Promise<RedisUnavailableError> {
  const started = performance.now();
  const error = await acquire().then(
    () => {
      throw new Error('expected ERR_REDIS, got a lease');
    },
    (e: unknown) => e,
  );
  expect(performance.now() - started).toBeLessThan(AT_ONCE_MS);
  expect(error).toBeInstanceOf(RedisUnavailableError);
  expect((error as RedisUnavailableError).code).toBe('ERR_REDIS');
  expect((error as RedisUnavailableError).refused).toBe(true);
  expect(isRedisRefusal(error)).toBe(true);
  return error as RedisUnavailableError;
}

describe('a missing ACL rule fails an acquisition at once', () => {
  it('EVALSHA not allowed: lock and semaphore, waiting or not', async () => {
    const errors: unknown[] = [];
    const lockstep = await lockstepWithout('no-evalsha', '-evalsha', { onError: (e) => errors.push(e) });
    for (const acquire of [
      () => lockstep.lock('bar').acquire({ waitMs: WAIT_MS }),
      () => lockstep.lock('bar').tryAcquire(),
      () => lockstep.semaphore('pool', { limit: 2 }).acquire({ waitMs: WAIT_MS }),
    ]) {
      const error = await refusedAtOnce(acquire);
      expect(error.message).toMatch(/NOPERM .*'evalsha'/);
      expect(error.message).toContain('Redis ACL users');
    }
    // Nothing ran, so no cleanup was sent (it would have been refused and reported as well).
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toEqual([]);
  });

  it('a command a script calls not allowed: the message names the script and the command', async () => {
    const lockstep = await lockstepWithout('no-time', '-time');
    const error = await refusedAtOnce(() => lockstep.lock('bar').acquire({ waitMs: WAIT_MS }));
    expect(error.message).toMatch(/TIME/);
    expect(error.message).toMatch(/script "lockAcquire(Fast)?"/);
  });

  it('the key pattern does not match the prefix', async () => {
    const lockstep = await lockstepWithout('other-prefix', '', { prefix: 'other' });
    const error = await refusedAtOnce(() => lockstep.lock('bar').acquire({ waitMs: WAIT_MS }));
    expect(error.message).toMatch(/NOPERM .*keys/);
  });

  it('SSUBSCRIBE not allowed, or the channel pattern missing: a waiter fails at once', async () => {
    const holder = await lockstepWithout('holder', '');
    const lease = await holder.lock('busy', { ttlMs: 30_000 }).acquire();
    for (const [user, extra] of [
      ['no-ssubscribe', '-ssubscribe'],
      ['no-channels', 'resetchannels'],
    ] as const) {
      const waiter = await lockstepWithout(user, extra);
      const error = await refusedAtOnce(() => waiter.lock('busy').acquire({ waitMs: WAIT_MS }));
      expect(error.message, user).toMatch(/NOPERM|publish/);
    }
    await lease.release();
  });

  it('refused credentials (WRONGPASS)', async () => {
    await createAclUser(server.port, 'lockstep-app', 'wrong-password');
    const redis = new Redis(aclUrl(server.port, 'wrong-password', 'not-it'), { disableClientInfo: true });
    redis.on('error', () => undefined);
    const lockstep = lockstepOn(redis);
    const error = await refusedAtOnce(() => lockstep.lock('bar').acquire({ waitMs: WAIT_MS }));
    expect(error.message).toMatch(/WRONGPASS/);
  });
});

describe('a permission revoked in the background', () => {
  it('an auto-extension that is refused is reported once and not retried; the lease runs out', async () => {
    const errors: unknown[] = [];
    const lockstep = await lockstepWithout('revoked-holder', '', { onError: (e) => errors.push(e) });
    let lost: LeaseLostError | undefined;
    const lease = await lockstep.lock('held', { ttlMs: 1_500 }).acquire({
      autoExtend: true,
      onLost: (e) => {
        lost = e;
      },
    });
    await createAclUser(server.port, 'lockstep-app', 'revoked-holder', '-evalsha');
    await eventually(() => lost !== undefined, 5_000);
    expect(lease.signal.aborted).toBe(true);
    expect(lost?.reason).toBe('expired');
    expect(isRedisRefusal(lost?.cause)).toBe(true);
    // Once: before, each retry until the window ended was refused and reported again.
    expect(errors.filter(isRedisRefusal)).toHaveLength(1);
  });

  it('a queued waiter whose heartbeat is refused fails at once, not when its wait ends', async () => {
    const holder = await lockstepWithout('busy-holder', '');
    const lease = await holder.lock('queue', { ttlMs: 30_000 }).acquire();
    const waiter = await lockstepWithout('revoked-waiter', '');
    const waiting = waiter.lock('queue', { waiterTtlMs: 1_500 }).acquire({ waitMs: WAIT_MS });
    await eventually(async () => (await holder.lock('queue').inspect()).waiting === 1);
    await createAclUser(server.port, 'lockstep-app', 'revoked-waiter', '-evalsha');
    // Whichever comes first fails it: the refused heartbeat (reported to onError, then the waiter
    // re-checks) or the waiter's own re-check; either way at once, as a refusal.
    await refusedAtOnce(() => waiting);
    await lease.release();
  });
});
