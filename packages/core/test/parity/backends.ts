// The backends one behavioural suite runs against: a real Redis (the harness's standalone server)
// and the in-memory Lockstep of `@lockstep/core/testing`.
import { afterAll } from 'vitest';
import { standaloneLockstep } from '../../../../test/support/fixtures.js';
import type { LockstepLike } from '../../src/index.js';
import { createMemoryLockstep, type MemoryLockstepOptions } from '../../src/testing/index.js';

/** One backend: a name for the report and a factory of fresh instances (closed after the file). */
export interface Backend {
  readonly name: 'redis' | 'memory';
  create(options?: MemoryLockstepOptions): LockstepLike;
}

const memories: LockstepLike[] = [];
afterAll(async () => {
  for (const lockstep of memories) await lockstep.close();
  memories.length = 0;
});

export const BACKENDS: readonly Backend[] = [
  { name: 'redis', create: (options) => standaloneLockstep(options).lockstep },
  {
    name: 'memory',
    create: (options) => {
      const lockstep = createMemoryLockstep(options);
      memories.push(lockstep);
      return lockstep;
    },
  },
];
