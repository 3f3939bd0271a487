// Clients created with ioredis `lazyConnect: true` connect on their first command: the first
// acquisition must not wait for a `ready` event that only a command would bring, in any mode.
import { uniquePrefix } from '@lockstep/test-utils';
import { clusterClient, quorumClients, standaloneClient } from '@lockstep/test-utils/context';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Lockstep } from '../src/index.js';

/** Far above a first connection on loopback: a stall waits all of it (the bug), a grant takes ms. */
const REQUEST_TIMEOUT_MS = 20_000;
const STALL_MS = REQUEST_TIMEOUT_MS / 2;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

const modes = {
  standalone: () => standaloneClient({ lazyConnect: true }),
  cluster: () => clusterClient({ lazyConnect: true }),
  quorum: () => quorumClients({ lazyConnect: true }),
};

describe('lazyConnect clients', () => {
  for (const mode of ['standalone', 'cluster', 'quorum'] as const) {
    it(`${mode}: tryAcquire and acquire grant at once on never-connected lazy clients`, async () => {
      const redis = modes[mode]();
      const lockstep = new Lockstep({
        redis: redis as Redis,
        prefix: uniquePrefix('lz'),
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        // The connection is awaited before the attempt; the attempt itself (a first EVALSHA, maybe
        // a NOSCRIPT and EVAL) gets 1 s per node, not the default 50 ms a loaded machine can miss.
        ...(mode === 'quorum' ? { quorum: { nodeTimeoutMs: 1_000 } } : {}),
      });
      const tried = await timed(() => lockstep.lock('first').tryAcquire());
      expect(tried.value).not.toBeNull();
      expect(tried.ms).toBeLessThan(STALL_MS);
      const acquired = await timed(() => lockstep.lock('second').acquire());
      expect(acquired.ms).toBeLessThan(STALL_MS);
      // A waiter on lazy clients is woken by the release (its subscriber connects on demand).
      const waiting = lockstep.lock('first').acquire({ waitMs: STALL_MS });
      await tried.value?.release();
      await (await waiting).release();
      await acquired.value.release();
      if (mode !== 'quorum') {
        const sem = lockstep.semaphore('permits', { limit: 1 });
        const permit = await timed(() => sem.tryAcquire());
        expect(permit.value).not.toBeNull();
        await permit.value?.release();
      }
      await lockstep.close();
    });
  }
});
