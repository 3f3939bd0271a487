// Servers a scenario owns (never the shared ones: scenarios kill, pause and restart them), stopped
// by the scenario's clean-up after its key audit.
import { type RedisClusterHarness, type RedisServer, startRedisCluster, startRedisServer } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { FaultProxy } from '../proxy/fault-proxy.js';
import type { ScenarioRun } from './scenario-run.js';

/** An admin client that never crashes on a dead server and gives up quickly. */
export function adminClient(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 3, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  return client;
}

/** A standalone server of the scenario's own, with an admin client. */
export async function ownServer(
  run: ScenarioRun,
  args: readonly string[] = [],
): Promise<{ server: RedisServer; admin: Redis }> {
  const server = await startRedisServer({ args });
  const admin = adminClient(server.port);
  run.onCleanup(async () => {
    admin.disconnect();
    await server.stop();
  });
  return { server, admin };
}

/** `count` independent servers, each behind a fault proxy. */
export async function ownProxiedServers(
  run: ScenarioRun,
  count: number,
): Promise<{ servers: RedisServer[]; proxies: FaultProxy[]; admins: Redis[] }> {
  const servers: RedisServer[] = [];
  const proxies: FaultProxy[] = [];
  const admins: Redis[] = [];
  for (let i = 0; i < count; i++) {
    const { server, admin } = await ownServer(run);
    const proxy = await FaultProxy.start(server.port);
    run.onCleanup(() => proxy.close());
    servers.push(server);
    proxies.push(proxy);
    admins.push(admin);
  }
  return { servers, proxies, admins };
}

/** A 3+3 cluster of the scenario's own. */
export async function ownCluster(run: ScenarioRun): Promise<RedisClusterHarness> {
  const cluster = await startRedisCluster();
  run.onCleanup(() => cluster.stop());
  return cluster;
}
