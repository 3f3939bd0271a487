// What reaches onError: outages, never the caller's own short wait, and never a cleanup worded as a release.
import { createServer, type Server, type Socket } from 'node:net';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import { Lockstep } from '../src/index.js';

// A server that accepts connections and never answers: a subscription to it gets no reply.
let blackHole: Server;
const sockets = new Set<Socket>();
let blackHolePort = 0;

beforeAll(async () => {
  blackHole = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  blackHolePort = (blackHole.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => blackHole.close(() => resolve()));
});

/** A Lockstep whose commands reach the real server but whose subscriber connection never answers. */
function deafSubscriber(prefix: string, requestTimeoutMs: number, errors: string[]) {
  const redis = standaloneClient();
  const subscribers: Redis[] = [];
  redis.duplicate = () => {
    const sub = new Redis({ port: blackHolePort, host: '127.0.0.1', maxRetriesPerRequest: null });
    subscribers.push(sub);
    return sub;
  };
  const lockstep = new Lockstep({
    redis,
    prefix,
    requestTimeoutMs,
    onError: (err) => errors.push((err as Error).message),
  });
  const stop = async () => {
    for (const sub of subscribers) sub.disconnect();
    await lockstep.close();
    redis.disconnect();
  };
  return { lockstep, stop };
}

describe('onError', () => {
  it("stays quiet when a subscription is cut short by the caller's own wait", async () => {
    const { lockstep: holder, prefix } = standaloneLockstep();
    const lease = await holder.lock('exports', { ttlMs: 30_000 }).acquire();
    const errors: string[] = [];
    const { lockstep, stop } = deafSubscriber(prefix, 5_000, errors);
    try {
      await expect(lockstep.lock('exports').acquire({ waitMs: 300 })).rejects.toMatchObject({
        code: 'ERR_ACQUIRE_TIMEOUT',
      });
      expect(errors.filter((m) => m.includes('subscribing'))).toEqual([]);
    } finally {
      await stop();
      await lease.release();
    }
  });

  it('reports a subscription that got no reply within requestTimeoutMs, in whole ms', async () => {
    const { lockstep: holder, prefix } = standaloneLockstep();
    const lease = await holder.lock('exports', { ttlMs: 30_000 }).acquire();
    const errors: string[] = [];
    const { lockstep, stop } = deafSubscriber(prefix, 250, errors);
    try {
      await expect(lockstep.lock('exports').acquire({ waitMs: 3_000 })).rejects.toMatchObject({
        code: 'ERR_ACQUIRE_TIMEOUT',
      });
      expect(errors).toContain('subscribing for "exports" got no reply within 250 ms');
    } finally {
      await stop();
      await lease.release();
    }
  });

  it('words the cleanup of a failed tryAcquire as a cleanup, not a release', async () => {
    const redis = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const errors: string[] = [];
    const lockstep = new Lockstep({
      redis,
      prefix: uniquePrefix('down'),
      requestTimeoutMs: 500,
      onError: (err) => errors.push((err as Error).message),
    });
    await expect(lockstep.lock('a').tryAcquire()).rejects.toMatchObject({ code: 'ERR_REDIS' });
    await eventually(() => errors.length > 0);
    expect(errors.some((m) => m.includes('cleaning up a failed attempt on "a"'))).toBe(true);
    expect(errors.filter((m) => /releasing/.test(m))).toEqual([]);
    await lockstep.close();
    redis.disconnect();
  });
});
