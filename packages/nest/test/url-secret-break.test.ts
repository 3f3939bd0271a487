// A malformed Redis URL given to LockstepModule is refused at startup; the error (which lands in
// startup logs) must not carry the password the URL holds.
import 'reflect-metadata';
import { isLockstepError } from '@lockstep/core';
import { Test } from '@nestjs/testing';
import { expect, it } from 'vitest';
import { LockstepModule } from '../src/index.js';

it('names a malformed redis URL without its password', async () => {
  for (const [redis, shown] of [
    ['redis//default:s3cret-pass@cache.internal:6379', '"redis//…@cache.internal:6379"'],
    ['redis:/default:s3cret-pass@cache.internal:6379/0', '"redis:/…@cache.internal:6379/0"'],
    ['default:s3cret-pass@cache.internal:6379', '"…@cache.internal:6379"'],
    ['s3cret-pass@cache.internal', '"…@cache.internal"'],
  ] as const) {
    const error = await Test.createTestingModule({ imports: [LockstepModule.forRoot({ redis })] })
      .compile()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(isLockstepError(error, 'ERR_INVALID_ARGUMENT'), redis).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('expected `redis` to be a client or a redis:// URL');
    expect(message).not.toContain('s3cret');
    expect(message).toContain(shown);
  }
});
