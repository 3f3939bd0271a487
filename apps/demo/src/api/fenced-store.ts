// The invoice store: a Redis hash per invoice that accepts a write only with a fence larger than any
// it has seen, so a payment whose lock expired (a paused process) cannot charge after a newer holder.
import type { Redis } from 'ioredis';

/**
 * Pays an invoice if the fence is fresh.
 * KEYS[1] invoice hash: `fence` (highest fence written), `status` (`paid`), `charges` (count).
 * ARGV[1] the writer's fence (integer); ARGV[2] the key's TTL, ms.
 * Returns 1 charged now, 0 already paid (fence recorded), -1 stale fence (nothing written).
 */
const PAY_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
local fence = tonumber(ARGV[1])
if fence <= current then return -1 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1])
local result = 0
if redis.call('HGET', KEYS[1], 'status') ~= 'paid' then
  redis.call('HSET', KEYS[1], 'status', 'paid')
  redis.call('HINCRBY', KEYS[1], 'charges', 1)
  result = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return result
`;

/** Keys of the store live this long after their last write. */
const STORE_TTL_MS = 600_000;

/** Key prefix of the store's invoice hashes. */
export const STORE_PREFIX = 'demo-store:invoice:';

type WithPay = Redis & { demoPay(key: string, fence: string, ttlMs: string): Promise<number> };

/** The fenced invoice table. */
export class FencedStore {
  readonly #redis: WithPay;

  constructor(redis: Redis) {
    redis.defineCommand('demoPay', { numberOfKeys: 1, lua: PAY_SCRIPT });
    this.#redis = redis as WithPay;
  }

  /** Charges the invoice once; `stale` when a newer lock holder has written already. */
  async pay(invoice: string, fence: number): Promise<'paid' | 'already' | 'stale'> {
    const answer = await this.#redis.demoPay(`${STORE_PREFIX}${invoice}`, String(fence), String(STORE_TTL_MS));
    if (answer === 1) return 'paid';
    return answer === 0 ? 'already' : 'stale';
  }
}
