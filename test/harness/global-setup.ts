// Vitest global setup: one standalone server, one 3+3 Cluster and five independent servers per run.
import type { TestProject } from 'vitest/node';
import { type RedisClusterHarness, startRedisCluster } from './cluster.js';
import { type RedisServer, startRedisServer, startRedisServers } from './redis-server.js';

import './context-types.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let standalone: RedisServer | undefined;
  let cluster: RedisClusterHarness | undefined;
  let quorum: RedisServer[] = [];
  try {
    [standalone, cluster, quorum] = await Promise.all([startRedisServer(), startRedisCluster(), startRedisServers(5)]);
  } catch (err) {
    await Promise.all([standalone?.stop(), cluster?.stop(), ...quorum.map((s) => s.stop())]);
    throw err;
  }
  project.provide('standalonePort', standalone.port);
  project.provide(
    'clusterPorts',
    cluster.servers.map((s) => s.port),
  );
  project.provide(
    'quorumPorts',
    quorum.map((s) => s.port),
  );
  const servers = { standalone, cluster, quorum };
  return async () => {
    await Promise.all([servers.standalone.stop(), servers.cluster.stop(), ...servers.quorum.map((s) => s.stop())]);
  };
}
