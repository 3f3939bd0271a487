// A reply that arrived while the event loop was stalled (a busy or overloaded process) wins over
// its request deadline: a healthy Redis is never reported as down because this process was slow.

import { uniquePrefix } from '@lockstep/test-utils';
import { standalonePort } from '@lockstep/test-utils/context';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { Lockstep } from '../src/index.js';
import { bounded } from '../src/redis/request.js';

const redis = new Redis({ port: standalonePort() });

afterAll(() => {
  redis.disconnect();
});

function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the reply lands in the socket buffer, the deadline passes, neither is seen yet
  }
}

it('resolves a reply that arrived during a stall longer than its timeout', async () => {
  await redis.ping();
  for (let round = 0; round < 8; round++) {
    const reply = bounded(redis.ping(), 'ping', 20);
    // One turn of the loop so the client writes the command, then a stall past the deadline.
    await new Promise((resolve) => setImmediate(resolve));
    stall(300);
    expect(await reply).toBe('PONG');
  }
});

it('still times out a request that gets no reply', async () => {
  // BLPOP on a key nobody pushes to: no reply for 10 s.
  const blocked = new Redis({ port: standalonePort() });
  try {
    const started = performance.now();
    const error = await bounded(blocked.blpop('stalled-loop:never', 10), 'blpop', 50).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_REDIS', indeterminate: true });
    expect(performance.now() - started).toBeLessThan(5_000);
  } finally {
    blocked.disconnect();
  }
});

it('never returns a lease whose reply was read at the very end of its window', async () => {
  await redis.ping();
  const lockstep = new Lockstep({ redis, prefix: uniquePrefix('stall') });
  try {
    // ttl 200 ms: the window is 196 ms from the send (2% drift allowance); the reply is read after a
    // 180 ms stall, with ~15 ms of it left: too little to use, so it is handed back and taken anew.
    for (let round = 0; round < 3; round++) {
      const lock = lockstep.lock(`late-${round}`, { ttlMs: 200 });
      const pending = lock.acquire({ waitMs: 5_000 });
      // The command is written synchronously; its reply waits in the socket buffer.
      stall(180);
      const lease = await pending;
      expect(lease.remainingMs).toBeGreaterThan(25);
      await lease.release();
    }
  } finally {
    await lockstep.close();
  }
});
