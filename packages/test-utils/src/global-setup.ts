// Vitest global setup: one standalone server, one 3+3 Cluster and five independent servers per run.
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { type RedisClusterHarness, startRedisCluster } from './cluster.js';
import { type RedisServer, startRedisServer, startRedisServers } from './redis-server.js';

import './context-types.js';

/** Keys without a TTL on one server (replicas included: they hold the same data). */
async function keysWithoutTtlOn(port: number): Promise<string[]> {
  const redis = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const untimed: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        // A cluster replica answers MOVED: its primary is checked too.
        const ttl = await redis.pttl(key).catch(() => 0);
        if (ttl === -1) untimed.push(`${port}:${key}`);
      }
    } while (cursor !== '0');
    return untimed;
  } finally {
    redis.disconnect();
  }
}

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
    // After the whole suite: no key on any shared server may be left without a TTL.
    let untimed: string[] = [];
    try {
      const all = [servers.standalone, ...servers.cluster.servers, ...servers.quorum];
      untimed = (await Promise.all(all.map((s) => keysWithoutTtlOn(s.port)))).flat();
    } finally {
      await Promise.all([servers.standalone.stop(), servers.cluster.stop(), ...servers.quorum.map((s) => s.stop())]);
    }
    if (untimed.length > 0) {
      // Vitest only logs errors thrown here, so fail the process explicitly.
      console.error(`FAIL: keys left without a TTL after the suite: ${untimed.slice(0, 20).join(', ')}`);
      process.exitCode = 1;
    }
  };
}
