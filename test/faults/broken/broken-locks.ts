// Three deliberately broken mutexes. Each is correct but for one bug, the kind real lock libraries
// have shipped: a plain `DEL` release, an extend that re-creates an expired key, and validity
// counted from the first retry. The checker self-test shows the checker flags each of them.
import { randomBytes, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AcquireArgs, HeldLease } from '../worker/impl.js';
import { pause, SimpleLease, type SimpleLeaseOps, validityFrom } from './simple-lease.js';

// Takes a free lock and mints a fence; a retried request that finds its own token gets the TTL left.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local fence = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2] + 5000)
  return { 1, fence, tonumber(ARGV[2]) }
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return { 1, tonumber(redis.call('GET', KEYS[2])) or 0, redis.call('PTTL', KEYS[1]) }
end
return { 0, 0, 0 }`;
const CAS_EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const CAS_RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Which bug a {@link BrokenLock} has. */
export type LockBug = 'del-release' | 'extend-recreate' | 'first-retry-validity';

/** Rejects after `ms` without cancelling `promise` (whose late outcome is ignored). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** A polling mutex with one bug. */
export class BrokenLock {
  constructor(
    private readonly bug: LockBug,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly requestTimeoutMs: number,
  ) {}

  async acquire(a: AcquireArgs): Promise<HeldLease> {
    const key = `${this.prefix}:b:${a.name}`;
    const token = randomBytes(16).toString('hex');
    const deadline = performance.now() + a.waitMs;
    let firstRetry: number | undefined;
    for (;;) {
      const sent = performance.now();
      let reply: number[];
      try {
        const call = this.redis.eval(ACQUIRE, 2, key, `${key}:f`, token, a.ttlMs) as Promise<number[]>;
        reply = await withTimeout(call, this.requestTimeoutMs);
      } catch (err) {
        // The attempt may have taken effect: retry with the same token, which finds it.
        firstRetry ??= performance.now();
        if (performance.now() >= deadline) throw Object.assign(err as Error, { code: 'ERR_REDIS' });
        continue;
      }
      const [granted, fence, remaining] = reply as [number, number, number];
      if (granted === 1) {
        const validUntil: number =
          this.bug === 'first-retry-validity' && firstRetry !== undefined
            ? // The bug: the window starts at the first retry, although an earlier attempt set the key.
              validityFrom(firstRetry, a.ttlMs, a.ttlMs)
            : validityFrom(sent, remaining, a.ttlMs);
        // Like Lockstep, never return a lease whose window is already over: retry instead.
        if (validUntil <= performance.now()) continue;
        return new SimpleLease(
          a.name,
          fence,
          validUntil,
          a.ttlMs,
          this.#ops(key, token),
          a.onLost,
          this.bug !== 'extend-recreate',
        );
      }
      if (performance.now() >= deadline) throw Object.assign(new Error('timeout'), { code: 'ERR_ACQUIRE_TIMEOUT' });
      await pause(randomInt(2, 8), a.signal);
    }
  }

  #ops(key: string, token: string): SimpleLeaseOps {
    const redis = this.redis;
    return {
      extend: async (ttlMs) => {
        // The bug: SET re-creates the key (or overwrites another owner) instead of failing.
        if (this.bug === 'extend-recreate') return (await redis.set(key, token, 'PX', ttlMs)) === 'OK';
        return Number(await redis.eval(CAS_EXTEND, 1, key, token, ttlMs)) === 1;
      },
      release: async () => {
        // The bug: DEL without checking the token deletes whoever holds the lock now.
        if (this.bug === 'del-release') return (await redis.del(key)) === 1;
        return Number(await redis.eval(CAS_RELEASE, 1, key, token)) === 1;
      },
    };
  }
}
