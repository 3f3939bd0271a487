// A Lockstep (from the built @lockstep/core, as users get it) on the shared test Redis; each file
// gets its own prefix, and fails if a key it wrote is left without a TTL.
import { Lockstep, type LockstepOptions, type Semaphore } from '@lockstep/core';
import { keysWithoutTtl, uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { afterAll, expect } from 'vitest';

const made: { lockstep: Lockstep; prefix: string; redis: ReturnType<typeof standaloneClient> }[] = [];

afterAll(async () => {
  for (const { lockstep, prefix, redis } of made) {
    await lockstep.close();
    expect(await keysWithoutTtl(redis, `*${prefix}*`)).toEqual([]);
  }
});

/** A Lockstep with a fresh prefix on the shared standalone server. */
export function testLockstep(extra: Omit<LockstepOptions, 'redis'> = {}): Lockstep {
  return testLockstepAndClient(extra).lockstep;
}

/** As {@link testLockstep}, with its client and prefix (to tamper with its keys). */
export function testLockstepAndClient(extra: Omit<LockstepOptions, 'redis'> = {}) {
  const redis = standaloneClient();
  const prefix = uniquePrefix('x');
  const lockstep = new Lockstep({ ...extra, redis, prefix });
  made.push({ lockstep, prefix, redis });
  return { lockstep, redis, prefix };
}

/** Polls until `fn` is true (state that settles asynchronously, like a release after `finish`). */
export async function eventually(fn: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
}

/** Waits until the semaphore shows `used` permits and `waiting` queued requests. */
export async function settled(semaphore: Semaphore, used: number, waiting: number, timeoutMs = 15_000): Promise<void> {
  let last = '';
  try {
    await eventually(async () => {
      const s = await semaphore.inspect();
      last = `used ${s.used}, waiting ${s.waiting}`;
      return s.used === used && s.waiting === waiting;
    }, timeoutMs);
  } catch {
    throw new Error(`expected used ${used}, waiting ${waiting}; last seen ${last}`);
  }
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
