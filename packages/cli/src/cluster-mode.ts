// Whether `--cluster` matches the server: a standalone server asked for its Cluster slots, or a
// Cluster node used as a standalone server (MOVED replies, `ls` seeing a third of the names), is a
// bad option value (exit 2) naming what to pass instead.
import type { Redis } from 'ioredis';
import { CliError, EXIT_CODES } from './exit-codes.js';

/**
 * The error for a failed `--cluster` connection when the node said it has no cluster support
 * (ioredis' "Failed to refresh slots cache." keeps the node's reply as `lastNodeError`); undefined
 * for any other failure.
 */
export function notACluster(host: string, err: unknown): CliError | undefined {
  const reply = (err as { lastNodeError?: unknown } | undefined)?.lastNodeError;
  if (!(reply instanceof Error) || !/cluster support disabled/i.test(reply.message)) return undefined;
  return new CliError(
    EXIT_CODES.usage,
    `--cluster: the server at ${host} is not a Redis Cluster (its cluster support is disabled): drop --cluster`,
  );
}

/**
 * Throws when the server a standalone client is connected to is a Cluster node (`INFO cluster`
 * says `cluster_enabled:1`). A server that does not answer INFO (an ACL without it, a proxy) is
 * taken at its word.
 *
 * @throws CliError (usage) naming `host` and `--cluster`
 */
export async function refuseClusterNode(client: Redis, host: string): Promise<void> {
  const info = await client.info('cluster').catch(() => '');
  if (/^cluster_enabled:1\s*$/m.test(info)) {
    throw new CliError(EXIT_CODES.usage, `--redis: the server at ${host} is a Redis Cluster node: pass --cluster`);
  }
}
