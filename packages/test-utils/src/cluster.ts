// A 3-primary + 3-replica Redis Cluster on loopback, ready only when every slot and replica link is up.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { RedisServer } from './redis-server.js';

/** Role of one node as the node itself reports it. */
export interface ClusterNodeInfo {
  readonly server: RedisServer;
  readonly role: 'master' | 'slave';
  readonly id: string;
  /** For a replica: the port of its primary. */
  readonly primaryPort?: number;
}

function runRedisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.REDIS_CLI_BIN ?? 'redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(' ')}: ${out}`)),
    );
  });
}

async function adminCall<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

function field(info: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return match?.[1]?.trim();
}

/** A running cluster this harness created. */
export class RedisClusterHarness {
  private constructor(readonly servers: readonly RedisServer[]) {}

  /** Starts 6 fresh nodes, creates the cluster and waits until it is fully healthy. */
  static async start(): Promise<RedisClusterHarness> {
    const servers = await Promise.all(Array.from({ length: 6 }, () => RedisServer.start({ cluster: true })));
    const harness = new RedisClusterHarness(servers);
    try {
      await runRedisCli([
        '--cluster',
        'create',
        ...servers.map((s) => `127.0.0.1:${s.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ]);
      await harness.waitHealthy();
      return harness;
    } catch (err) {
      await harness.stop();
      throw err;
    }
  }

  /** Startup nodes for an ioredis Cluster client. */
  get startupNodes(): { host: string; port: number }[] {
    return this.servers.map((s) => ({ host: s.host, port: s.port }));
  }

  /** A new ioredis Cluster client; the caller quits it. */
  client(options: ConstructorParameters<typeof Cluster>[1] = {}): Cluster {
    const cluster = new Cluster(this.startupNodes, {
      slotsRefreshTimeout: 2_000,
      ...options,
      redisOptions: { maxRetriesPerRequest: 20, ...(options?.redisOptions ?? {}) },
    });
    return cluster;
  }

  /** Each running node's own view of its role. */
  async nodes(): Promise<ClusterNodeInfo[]> {
    const result: ClusterNodeInfo[] = [];
    for (const server of this.servers) {
      if (!server.running) continue;
      const info = await adminCall(server.port, async (r) => ({
        replication: await r.info('replication'),
        id: String(await r.cluster('MYID')),
      })).catch(() => undefined);
      if (!info) continue;
      const role = field(info.replication, 'role') === 'master' ? 'master' : 'slave';
      const primaryPort = role === 'slave' ? Number(field(info.replication, 'master_port')) : undefined;
      result.push({ server, role, id: info.id, ...(primaryPort === undefined ? {} : { primaryPort }) });
    }
    return result;
  }

  /** Resolves when every running node reports cluster_state:ok, all slots are covered and replicas are linked. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        if (await this.#healthy()) return;
      } catch (err) {
        last = String(err);
      }
      await sleep(50);
    }
    throw new Error(`cluster did not become healthy: ${last}`);
  }

  async #healthy(): Promise<boolean> {
    let primaries = 0;
    for (const server of this.servers) {
      if (!server.running) continue;
      const ok = await adminCall(server.port, async (r) => {
        const info = String(await r.cluster('INFO'));
        if (field(info, 'cluster_state') !== 'ok' || field(info, 'cluster_slots_ok') !== '16384') return false;
        const replication = await r.info('replication');
        if (field(replication, 'role') === 'master') {
          primaries++;
          return true;
        }
        return (
          field(replication, 'master_link_status') === 'up' && field(replication, 'master_sync_in_progress') === '0'
        );
      });
      if (!ok) return false;
    }
    return primaries === 3;
  }

  /** The node that serves the slot of `key` as primary. */
  async primaryFor(key: string): Promise<RedisServer> {
    const slot = await adminCall(this.servers[0]!.port, async (r) => Number(await r.cluster('KEYSLOT', key)));
    const nodes = await this.nodes();
    for (const node of nodes) {
      if (node.role !== 'master') continue;
      const owns = await adminCall(node.server.port, async (r) => {
        const slots = (await r.cluster('SLOTS')) as unknown as [number, number, [string, number, string]][];
        return slots.some(([from, to, [, port]]) => slot >= from && slot <= to && port === node.server.port);
      });
      if (owns) return node.server;
    }
    throw new Error(`no primary found for slot ${slot}`);
  }

  /** A replica of the given primary. */
  async replicaOf(primary: RedisServer): Promise<RedisServer> {
    const nodes = await this.nodes();
    const replica = nodes.find((n) => n.role === 'slave' && n.primaryPort === primary.port);
    if (!replica) throw new Error(`no replica of ${primary.port}`);
    return replica.server;
  }

  /** Coordinated `CLUSTER FAILOVER` on a replica of `primary`; resolves once the cluster is healthy again. */
  async failover(primary: RedisServer): Promise<RedisServer> {
    const replica = await this.replicaOf(primary);
    await adminCall(replica.port, (r) => r.cluster('FAILOVER'));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const nodes = await this.nodes();
      if (nodes.find((n) => n.server === replica)?.role === 'master') break;
      await sleep(50);
    }
    await this.waitHealthy();
    return replica;
  }

  /**
   * kill -9 of a primary; resolves once its replica took over and the cluster is healthy.
   * `onKilled` runs just after SIGKILL was sent (finding the replica first takes a few ms), so a
   * caller can time from the kill itself.
   */
  async killPrimary(primary: RedisServer, onKilled?: () => void): Promise<RedisServer> {
    const replica = await this.replicaOf(primary);
    const killed = primary.kill(); // sends SIGKILL before its first await
    onKilled?.();
    await killed;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const nodes = await this.nodes();
      if (nodes.find((n) => n.server === replica)?.role === 'master') break;
      await sleep(100);
    }
    await this.#waitStateOk();
    return replica;
  }

  async #waitStateOk(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      let ok = true;
      for (const server of this.servers) {
        if (!server.running) continue;
        const state = await adminCall(server.port, async (r) =>
          field(String(await r.cluster('INFO')), 'cluster_state'),
        ).catch(() => 'down');
        if (state !== 'ok') ok = false;
      }
      if (ok) return;
      await sleep(50);
    }
    throw new Error('cluster_state did not return to ok');
  }

  /** Restarts a killed node with its nodes.conf, so it rejoins as a replica; waits until healthy. */
  async rejoin(server: RedisServer): Promise<void> {
    await server.restart({ keepDir: true });
    await this.waitHealthy();
  }

  /** Stops all nodes. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

/** Starts a 3-primary + 3-replica cluster. */
export function startRedisCluster(): Promise<RedisClusterHarness> {
  return RedisClusterHarness.start();
}
