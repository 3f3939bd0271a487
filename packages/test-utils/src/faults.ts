// Fault injection against real servers: script cache loss, key tampering, dropped connections.
import type { Cluster, Redis } from 'ioredis';

type AnyClient = Redis | Cluster;

/** `SCRIPT FLUSH` on every node the client talks to, so the next EVALSHA meets NOSCRIPT. */
export async function scriptFlush(client: AnyClient): Promise<void> {
  if ('nodes' in client && typeof client.nodes === 'function') {
    await Promise.all(client.nodes('all').map((node) => node.script('FLUSH')));
    return;
  }
  await (client as Redis).script('FLUSH');
}

/** Deletes keys behind the library's back. */
export async function deleteKeys(client: AnyClient, keys: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const key of keys) deleted += await client.del(key);
  return deleted;
}

/** Overwrites a key with a plain string value of the same name. */
export async function overwriteKey(client: AnyClient, key: string, value = 'tampered'): Promise<void> {
  await client.del(key);
  await client.set(key, value, 'PX', 60_000);
}

/**
 * `CLIENT KILL` for every normal client on the server except the caller's own connection.
 * Returns how many connections were dropped.
 */
export async function clientKillAll(admin: Redis): Promise<number> {
  return Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
}

/** `CLIENT KILL` for pub/sub connections only (drops the push channel, not commands). */
export async function clientKillPubSub(admin: Redis): Promise<number> {
  return Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
}

/** All keys matching a pattern, on every primary of a Cluster or on one server. */
export async function scanKeys(client: AnyClient, pattern: string): Promise<string[]> {
  const nodes: Redis[] =
    'nodes' in client && typeof client.nodes === 'function' ? client.nodes('master') : [client as Redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys;
}

/** Keys matching the pattern that have no TTL (`PTTL` = -1). */
export async function keysWithoutTtl(client: AnyClient, pattern: string): Promise<string[]> {
  const keys = await scanKeys(client, pattern);
  const missing: string[] = [];
  for (const key of keys) {
    if ((await client.pttl(key)) === -1) missing.push(key);
  }
  return missing;
}
