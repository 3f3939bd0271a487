// Exclusion and limits on both backends, checked over recorded validity windows by the same checker
// as the cross-process and fault suites, with leases that expire mid-hold as well as released ones.
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../../test/support/checker.js';
import { delay } from '../../../../test/support/fixtures.js';
import { type HistoryEvent, hostNow } from '../../../../test/support/history.js';
import type { Lease, Limiter } from '../../src/index.js';
import { BACKENDS } from './backends.js';

/**
 * `callers` contenders, each acquiring `rounds` times; every fifth hold outlives its 200 ms TTL (long
 * enough that a machine under load still sees live grants), so windows end by expiry as well.
 */
async function contend(limiter: Limiter, callers: number, rounds: number, weightOf: (i: number) => number) {
  const events: HistoryEvent[] = [];
  let n = 0;
  const caller = async (c: number) => {
    for (let r = 0; r < rounds; r++) {
      const weight = weightOf(c);
      const lease: Lease = await limiter.acquire({ waitMs: 30_000, ...(weight > 1 ? { weight } : {}) });
      const t = hostNow();
      const id = `l${n++}`;
      const ttl = 200;
      events.push({
        e: 'grant',
        id,
        name: 'n',
        fence: lease.fence ?? null,
        weight,
        t,
        v: t + lease.remainingMs,
        w: `c${c}`,
        ttl,
      });
      await delay((c + r) % 5 === 0 ? 250 : 1);
      events.push({ e: 'release', id, t: hostNow() });
      await lease.release();
    }
  };
  await Promise.all(Array.from({ length: callers }, (_, c) => caller(c)));
  return events;
}

describe.each(BACKENDS)('checked history parity: $name', ({ create }) => {
  it('a lock never has two windows at once, also across expiries', async () => {
    const events = await contend(create().lock('n', { ttlMs: 200 }), 6, 8, () => 1);
    const result = checkHistory(events, () => 1, { grantRules: true });
    expect(result.violations).toEqual([]);
    expect(result.windows).toBe(48);
    const fences = events.flatMap((e) => (e.e === 'grant' ? [e.fence as number] : []));
    for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1] as number);
  });

  it('a semaphore never has more than its limit inside windows, weighted', async () => {
    const sem = create().semaphore('n', { limit: 3, ttlMs: 200 });
    const events = await contend(sem, 8, 6, (c) => (c % 3) + 1);
    const result = checkHistory(events, () => 3, { grantRules: true });
    expect(result.violations).toEqual([]);
    expect(result.maxConcurrent.get('n')).toBeGreaterThan(1);
  });
});
