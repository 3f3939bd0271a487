// The key rules: no key without a TTL, and no key at all once the longest TTL has passed with no load.
import { setTimeout as sleep } from 'node:timers/promises';
import { scanKeys } from '@lockstep/test-utils';
import type { Cluster, Redis } from 'ioredis';
import type { ScenarioRun } from './scenarios/scenario-run.js';

/**
 * Longest TTL Lockstep may put on a key of a name whose lease TTL is `ttlMs`: a lock's fence lives
 * 5 s past its lease; a semaphore's keys live until the latest deadline plus one more lease or
 * heartbeat of slack plus a 1 s grace ("within two TTLs plus the grace", semaphore.lua).
 */
export function longestKeyTtl(ttlMs: number, waiterTtlMs = 10_000): number {
  return Math.max(ttlMs + 5_000, 2 * ttlMs + 1_000, 2 * waiterTtlMs + 1_000);
}

async function pttls(clients: readonly (Redis | Cluster)[], pattern: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const client of clients) {
    for (const key of await scanKeys(client, pattern)) {
      const ttl = await client.pttl(key);
      // -2: expired between SCAN and PTTL.
      if (ttl !== -2) found.set(key, ttl);
    }
  }
  return found;
}

/**
 * Checks the keys of `prefix` now (none without a TTL, none with a TTL above `maxTtlMs`); then, in
 * the background (deferred on the run), waits for the longest TTL found and checks that nothing is
 * left. Call it with no load running.
 */
export async function auditKeys(
  run: ScenarioRun,
  clients: readonly (Redis | Cluster)[],
  prefix: string,
  maxTtlMs: number,
): Promise<void> {
  const pattern = `*${prefix}*`;
  const now = await pttls(clients, pattern);
  for (const [key, ttl] of now) {
    if (ttl === -1) {
      run.result.keysWithoutTtl++;
      run.result.violations.push({ kind: 'key-without-ttl', name: run.result.id, detail: key });
    } else if (ttl > maxTtlMs) {
      run.result.violations.push({ kind: 'key-ttl-too-long', name: run.result.id, detail: `${key}: ${ttl} ms` });
    }
  }
  run.defer(
    (async () => {
      // The rule is about the longest TTL Lockstep may set, not the longest one seen (a client that
      // was not connected yet would see none). Redis expires lazily and by sampling: a moment more.
      await sleep(maxTtlMs + 500);
      const left = await pttls(clients, pattern);
      run.result.leftoverKeys += left.size;
      for (const key of left.keys()) {
        run.result.violations.push({ kind: 'leftover-key', name: run.result.id, detail: key });
      }
    })(),
  );
}
