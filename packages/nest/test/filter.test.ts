// The HTTP answers are configurable, and every Lockstep code has a deliberate answer.
import { AcquireTimeoutError, ERROR_CODES, LockstepError, QueueFullError } from '@lockstep/core';
import { describe, expect, it } from 'vitest';
import { markOrigin } from '../src/busy.js';
import { httpAnswerOf } from '../src/lockstep.filter.js';
import { resolveHttpOptions } from '../src/lockstep.options.js';

describe('HTTP answers', () => {
  const defaults = resolveHttpOptions('test', undefined);
  const custom = resolveHttpOptions('test', {
    lockedStatus: 423,
    limitedStatus: 429,
    outageStatus: 502,
    retryAfterSeconds: 7,
    retryAfterJitterSeconds: 0,
  });

  it('busy @Locked is 409, busy @Limited 503 + Retry-After, configurable', () => {
    const locked = markOrigin(new AcquireTimeoutError('invoice', 0), 'lock');
    const limited = markOrigin(new QueueFullError('exports', 10), 'limit');
    expect(httpAnswerOf(locked, defaults)).toEqual({ status: 409 });
    expect(httpAnswerOf(limited, defaults)).toMatchObject({ status: 503 });
    expect(httpAnswerOf(locked, custom)).toEqual({ status: 423 });
    expect(httpAnswerOf(limited, custom)).toEqual({ status: 429, retryAfter: 7 });
  });

  it('spreads Retry-After of busy @Limited answers over [retryAfterSeconds, + retryAfterJitterSeconds]', () => {
    const limited = markOrigin(new QueueFullError('exports', 10), 'limit');
    const seen = (http: ReturnType<typeof resolveHttpOptions>) =>
      new Set(Array.from({ length: 400 }, () => httpAnswerOf(limited, http)?.retryAfter));
    // Clients turned away together must not all come back in the same second.
    expect([...seen(defaults)].sort()).toEqual([1, 2]);
    const wide = resolveHttpOptions('test', { retryAfterSeconds: 10, retryAfterJitterSeconds: 3 });
    expect([...seen(wide)].sort()).toEqual([10, 11, 12, 13]);
    expect([...seen(custom)]).toEqual([7]);
    expect(() => resolveHttpOptions('test', { retryAfterJitterSeconds: -1 })).toThrow(
      /`http.retryAfterJitterSeconds` to be an integer from 0 to 3600, got -1/,
    );
  });

  it('outages are 503 (configurable); only bugs are left to a 500', () => {
    const answers = Object.fromEntries(
      ERROR_CODES.map((code) => [code, httpAnswerOf(new LockstepError(code, code), custom)?.status]),
    );
    expect(answers).toEqual({
      ERR_INVALID_ARGUMENT: undefined,
      ERR_ACQUIRE_TIMEOUT: 429,
      ERR_ABORTED: 502,
      ERR_LEASE_LOST: 502,
      ERR_REDIS: 502,
      ERR_QUORUM: 502,
      ERR_QUEUE_FULL: 429,
      ERR_WEIGHT_EXCEEDS_LIMIT: 429,
      ERR_CLOSED: 502,
      ERR_INTERNAL: undefined,
    });
  });
});
