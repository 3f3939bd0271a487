// withLock / withPermit when only the release fails: the work was done under the lease, so they
// resolve with the callback's result and report the failed release (ERR_REDIS) through onError.
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';
import { Lockstep } from '../src/index.js';

describe('withLock when the release cannot reach Redis', () => {
  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: resolves with the callback's result and reports ERR_REDIS through onError`, async () => {
      const redis = standaloneClient();
      await redis.ping();
      const errors: unknown[] = [];
      const lockstep = new Lockstep({ redis, prefix: uniquePrefix('wr'), onError: (e) => errors.push(e) });
      const work = async () => {
        // The work is done; then Redis becomes unreachable (for good) before the release.
        redis.disconnect(false);
        return 'charged';
      };
      const result =
        mode === 'lock'
          ? await lockstep.lock('pay', { ttlMs: 2_000 }).withLock(work)
          : await lockstep.semaphore('pay', { limit: 1, ttlMs: 2_000 }).withPermit(work);
      expect(result).toBe('charged');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'ERR_REDIS' });
      await lockstep.close();
    });
  }

  it("still rejects with the callback's own error when it throws", async () => {
    const redis = standaloneClient();
    const lockstep = new Lockstep({ redis, prefix: uniquePrefix('wr') });
    await expect(
      lockstep.lock('x').withLock(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await lockstep.close();
  });
});
