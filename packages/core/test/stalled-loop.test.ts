// A reply that arrived while the event loop was stalled (a busy or overloaded process) wins over
// its request deadline: a healthy Redis is never reported as down because this process was slow.
import { standalonePort } from '@lockstep/test-utils/context';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
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
