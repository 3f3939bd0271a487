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
  });

  it('busy @Locked is 409, busy @Limited 503 + Retry-After, configurable', () => {
    const locked = markOrigin(new AcquireTimeoutError('invoice', 0), 'lock');
    const limited = markOrigin(new QueueFullError('exports', 10), 'limit');
    expect(httpAnswerOf(locked, defaults)).toEqual({ status: 409 });
    expect(httpAnswerOf(limited, defaults)).toEqual({ status: 503, retryAfter: 1 });
    expect(httpAnswerOf(locked, custom)).toEqual({ status: 423 });
    expect(httpAnswerOf(limited, custom)).toEqual({ status: 429, retryAfter: 7 });
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
