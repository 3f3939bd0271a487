// A deliberately broken semaphore: it counts the holders in one round trip and adds itself in a
// second, so two clients can both see a free permit and both take it (check-then-act).
import { randomBytes, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AcquireArgs, HeldLease } from '../worker/impl.js';
import { pause, SimpleLease, validityFrom } from './simple-lease.js';

// First round trip: drop expired holders (server time) and count the weight held.
const COUNT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local used = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  used = used + tonumber(string.match(member, '|(%d+)$'))
end
return used`;

// Second round trip: join, without checking again (the bug), and mint a fence.
const JOIN = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now + ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] + 1000)
local fence = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2] + 5000)
return fence`;

const EXTEND = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local deadline = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
if not deadline or deadline <= now then return 0 end
redis.call('ZADD', KEYS[1], now + ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] + 1000)
return 1`;

/** The check-then-act semaphore. */
export class TwoRoundTripSemaphore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async acquire(a: AcquireArgs): Promise<HeldLease> {
    const key = `${this.prefix}:b2:${a.name}`;
    const member = `${randomBytes(16).toString('hex')}|${a.weight}`;
    const deadline = performance.now() + a.waitMs;
    for (;;) {
      const used = Number(await this.redis.eval(COUNT, 1, key));
      if (used + a.weight <= a.limit) {
        const sent = performance.now();
        const fence = Number(await this.redis.eval(JOIN, 2, key, `${key}:f`, member, a.ttlMs));
        const redis = this.redis;
        return new SimpleLease(
          a.name,
          fence,
          validityFrom(sent, a.ttlMs, a.ttlMs),
          a.ttlMs,
          {
            extend: async (ttlMs) => Number(await redis.eval(EXTEND, 1, key, member, ttlMs)) === 1,
            release: async () => (await redis.zrem(key, member)) === 1,
          },
          a.onLost,
        );
      }
      if (performance.now() >= deadline) throw Object.assign(new Error('timeout'), { code: 'ERR_ACQUIRE_TIMEOUT' });
      await pause(randomInt(1, 5), a.signal);
    }
  }
}
