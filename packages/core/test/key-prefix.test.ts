// ioredis keyPrefix is honoured: keys, scripts and the grant channel all carry it.
import { scanKeys, uniquePrefix } from '@lockstep/test-utils';
import { clusterClient, standaloneClient } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/fixtures.js';
import { type Lease, Lockstep } from '../src/index.js';

describe('ioredis keyPrefix', () => {
  it('standalone: keys live under the keyPrefix and pushed hand-off still works', async () => {
    const keyPrefix = `${uniquePrefix('kp')}:`;
    const redis = standaloneClient({ keyPrefix });
    const plain = standaloneClient();
    const lockstep = new Lockstep({ redis, prefix: 'ls' });
    const lock = lockstep.lock('job', { ttlMs: 30_000, waiterTtlMs: 60_000 });
    const first = await lock.acquire();
    expect(await plain.get(`${keyPrefix}{ls:l:job}:h`)).toBe(`${first.fence}:${first.token}`);
    const waiting = lock.acquire({ waitMs: 10_000 });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    await first.release();
    const second: Lease = await waiting;
    await second.release();
    const keys = await scanKeys(plain, '*{ls:*');
    expect(keys.every((k) => k.startsWith(keyPrefix))).toBe(true);
    await lockstep.close();
  });

  it('cluster: a keyPrefix with its own hash tag still keeps each name in one slot', async () => {
    const keyPrefix = `{${uniquePrefix('kpc')}}:`;
    const redis = clusterClient({ keyPrefix });
    const lockstep = new Lockstep({ redis, prefix: 'ls' });
    const sem = lockstep.semaphore('pool', { limit: 1 });
    const first = await sem.acquire();
    const waiting = sem.acquire({ waitMs: 10_000 });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    await first.release();
    await (await waiting).release();
    await lockstep.close();
  });
});
