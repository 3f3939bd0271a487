// Bad options throw ERR_INVALID_ARGUMENT when the middleware is created, never on a request.
import { Lockstep } from '@lockstep/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { type ConcurrencyLimitOptions, concurrencyLimit, DEFAULT_CONCURRENCY_LIMIT_OPTIONS } from '../src/index.js';
import { testLockstep } from './support/lockstep.js';

const lockstep = testLockstep();

function create(extra: Record<string, unknown>) {
  return () => concurrencyLimit({ lockstep, name: 'n', limit: 2, ...extra } as ConcurrencyLimitOptions);
}

function expectInvalid(fn: () => unknown, message: RegExp) {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  expect((error as Error).message).toMatch(message);
}

describe('concurrencyLimit() options', () => {
  it('accepts the documented options', () => {
    const mw = create({
      name: (req: { url?: string }) => `n:${req.url}`,
      limit: () => 3,
      weight: 1,
      priority: 'critical',
      priorities: ['critical', 'bulk'],
      waitMs: 0,
      maxWaiters: 0,
      ttlMs: 5_000,
      statusCode: 429,
      standardHeaders: true,
      skip: () => false,
      handler: () => undefined,
      onError: () => undefined,
      passOnStoreError: true,
    })();
    expect(typeof mw).toBe('function');
    expect(DEFAULT_CONCURRENCY_LIMIT_OPTIONS).toMatchObject({ waitMs: 10_000, maxWaiters: 1_000, statusCode: 503 });
    expect(Object.isFrozen(DEFAULT_CONCURRENCY_LIMIT_OPTIONS)).toBe(true);
  });

  it('rejects unknown option names, suggesting the close one', () => {
    expectInvalid(
      create({ ttl: 1_000 }),
      /Unknown option `ttl` in concurrencyLimit\(\) options \(got 1000\): did you mean `ttlMs`\?/,
    );
    expectInvalid(create({ maxWaiter: 3 }), /did you mean `maxWaiters`/);
    expectInvalid(create({ waitms: 3 }), /did you mean `waitMs`/);
    expectInvalid(create({ statuscode: 429 }), /did you mean `statusCode`/);
    expectInvalid(create({ zzzzzz: 1 }), /expected one of `lockstep`, `name`, `limit`/);
    expectInvalid(create({ concurrency: 4 }), /did you mean `limit`/);
    // express-queue's names, as in the README's migration note: queue({ activeLimit, queuedLimit })
    expectInvalid(create({ activeLimit: 2 }), /Unknown option `activeLimit`.*did you mean `limit`\?/);
    expectInvalid(create({ queuedLimit: 10 }), /Unknown option `queuedLimit`.*did you mean `maxWaiters`\?/);
  });

  it('names the option and the bad value', () => {
    expectInvalid(() => concurrencyLimit(undefined as unknown as ConcurrencyLimitOptions), /`options` to be an object/);
    expectInvalid(create({ lockstep: {} }), /`lockstep` to be a Lockstep, got Object/);
    expectInvalid(create({ name: '' }), /`name` to be a non-empty string or a function of the request, got ""/);
    expectInvalid(create({ name: 42 }), /`name`.*got 42/);
    expectInvalid(create({ limit: 0 }), /`limit` to be an integer >= 1 or a function of the request, got 0/);
    expectInvalid(create({ limit: 1.5 }), /`limit`.*got 1.5/);
    expectInvalid(create({ weight: 3 }), /`weight` to be at most the limit 2, got 3/);
    expectInvalid(create({ waitMs: -1 }), /`waitMs` to be an integer from 0 to 2147483647, got -1/);
    expectInvalid(create({ maxWaiters: 1.5 }), /`maxWaiters`.*got 1.5/);
    expectInvalid(create({ ttlMs: 50 }), /`ttlMs` to be an integer from 100/);
    expectInvalid(create({ statusCode: 200 }), /`statusCode` to be an integer from 400 to 599, got 200/);
    expectInvalid(create({ standardHeaders: 'yes' }), /`standardHeaders` to be a boolean, got "yes"/);
    expectInvalid(create({ passOnStoreError: 1 }), /`passOnStoreError` to be a boolean, got 1/);
    expectInvalid(create({ skip: true }), /`skip` to be a function, got true/);
    expectInvalid(create({ handler: 'x' }), /`handler` to be a function/);
    expectInvalid(create({ onError: {} }), /`onError` to be a function/);
    expectInvalid(create({ priorities: [] }), /`priorities`/);
    expectInvalid(
      create({ priorities: ['a'], priority: 'b' }),
      /Unknown priority class "b" for `priority`: expected one of a$/,
    );
    expectInvalid(create({ priority: 'nope' }), /Unknown priority class "nope" for `priority`: expected a number/);
    expectInvalid(create({ priority: 2 ** 21 }), /`priority` to be an integer from -1048576 to 1048576/);
    expectInvalid(create({ priority: 1.5 }), /`priority`/);
  });

  it('refuses a quorum Lockstep, whose mode has no semaphores', () => {
    const quorum = new Lockstep({ redis: [lockstepClient(), lockstepClient(), lockstepClient()] });
    expectInvalid(create({ lockstep: quorum }), /quorum/);
  });
});

function lockstepClient(): Redis {
  // Never connected: validation happens before any I/O.
  return new Redis({ lazyConnect: true });
}
