// Finds every lock and semaphore of a prefix with SCAN: on a standalone server, or on every primary
// of a Cluster (each primary holds its own slots, so each is scanned).
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../redis/scripts.js';
import { type NameRef, parseStateKey, scanPattern } from './key-layout.js';

const SCAN_COUNT = 1_000;

function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** The client's ioredis `keyPrefix` (SCAN neither adds it to MATCH nor strips it from replies). */
export function clientKeyPrefix(client: RedisClient): string {
  const options = client.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
  return options.keyPrefix ?? options.redisOptions?.keyPrefix ?? '';
}

async function scanNode(node: Redis, match: string, strip: number, prefix: string, found: Map<string, NameRef>) {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (const key of keys) {
      const ref = parseStateKey(prefix, key.slice(strip));
      if (ref) found.set(`${ref.kind}\u0000${ref.name}`, ref);
    }
  } while (cursor !== '0');
}

/**
 * Every lock and semaphore of `prefix` that has state keys now, sorted by kind then name. Uses
 * SCAN (never KEYS), so a large keyspace is walked in steps without blocking the server.
 *
 * @param client - a standalone client or a Cluster (every primary is scanned)
 * @param prefix - the Lockstep prefix (already validated)
 */
export async function discoverNames(client: RedisClient, prefix: string): Promise<NameRef[]> {
  const keyPrefix = clientKeyPrefix(client);
  const match = `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}${scanPattern(prefix)}`;
  const nodes = isCluster(client) ? client.nodes('master') : [client as Redis];
  const found = new Map<string, NameRef>();
  await Promise.all(nodes.map((node) => scanNode(node, match, keyPrefix.length, prefix, found)));
  return [...found.values()].sort((a, b) =>
    a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind < b.kind ? -1 : 1,
  );
}
