// The lock implementations a worker can drive: Lockstep itself, or a deliberately broken variant
// with the same shape, so the same recorder and checker judge both.
import { Cluster, Redis } from 'ioredis';
import { Lockstep, type LostCallback } from '../../../packages/core/src/index.js';
import { createBrokenImpl } from '../broken/index.js';
import type { FaultWorkerConfig } from './protocol.js';

/** What the worker needs from a held lease (Lockstep's `Lease` has exactly this shape). */
export interface HeldLease {
  readonly fence: number | undefined;
  readonly remainingMs: number;
  readonly held: boolean;
  readonly signal: AbortSignal;
  extend(ttlMs?: number): Promise<void>;
  release(): Promise<boolean>;
}

/** One acquisition. */
export interface AcquireArgs {
  readonly mode: 'lock' | 'semaphore';
  readonly name: string;
  readonly ttlMs: number;
  readonly waitMs: number;
  readonly weight: number;
  readonly limit: number;
  readonly autoExtend: boolean;
  readonly signal: AbortSignal | undefined;
  readonly onLost: LostCallback;
}

/** A lock/semaphore implementation under test. */
export interface LockImpl {
  acquire(args: AcquireArgs): Promise<HeldLease>;
  close(): Promise<void>;
}

/** Opens the worker's clients: every client gets an error listener, so a dead server is no crash. */
export function connect(config: FaultWorkerConfig): { redis: Redis | Cluster | Redis[]; close: () => Promise<void> } {
  const { kind, ports } = config.target;
  if (kind === 'cluster') {
    const cluster = new Cluster(
      ports.map((port) => ({ host: '127.0.0.1', port })),
      { slotsRefreshTimeout: 2_000, redisOptions: { connectTimeout: 2_000 } },
    );
    cluster.on('error', () => undefined);
    return { redis: cluster, close: () => quit(cluster) };
  }
  const clients = ports.map((port) => {
    // A short reconnect delay: faults come and go within a TTL, and the default back-off grows to 2 s.
    const client = new Redis({ host: '127.0.0.1', port, connectTimeout: 2_000, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    return client;
  });
  return {
    redis: kind === 'quorum' ? clients : (clients[0] as Redis),
    close: async () => {
      await Promise.all(clients.map(quit));
    },
  };
}

/** QUIT (so queued clean-ups such as a racing give-up still reach Redis), bounded by a second. */
async function quit(client: Redis | Cluster): Promise<void> {
  const timer = new Promise((resolve) => setTimeout(resolve, 1_000).unref());
  await Promise.race([client.quit().catch(() => undefined), timer]);
  client.disconnect();
}

/** Lockstep behind the {@link LockImpl} shape. */
function lockstepImpl(config: FaultWorkerConfig, onError: (err: unknown) => void): LockImpl {
  const { redis, close } = connect(config);
  const lockstep = new Lockstep({
    redis,
    prefix: config.prefix,
    onError,
    ...(config.requestTimeoutMs ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
    ...(config.quorum ? { quorum: config.quorum } : {}),
  });
  const waiterTtlMs = config.waiterTtlMs ?? 10_000;
  return {
    acquire: async (a) => {
      const options = { waitMs: a.waitMs, autoExtend: a.autoExtend, onLost: a.onLost, signal: a.signal };
      if (a.mode === 'lock') return await lockstep.lock(a.name, { ttlMs: a.ttlMs, waiterTtlMs }).acquire(options);
      return await lockstep
        .semaphore(a.name, { limit: a.limit, ttlMs: a.ttlMs, waiterTtlMs })
        .acquire({ ...options, weight: a.weight });
    },
    close: async () => {
      await lockstep.close();
      await close();
    },
  };
}

/** The implementation the config names. */
export function createImpl(config: FaultWorkerConfig, onError: (err: unknown) => void): LockImpl {
  if (config.impl === 'lockstep') return lockstepImpl(config, onError);
  const { redis, close } = connect(config);
  if (Array.isArray(redis) || redis instanceof Cluster) throw new Error('broken variants run on one server');
  return createBrokenImpl(config.impl, redis, close, config.requestTimeoutMs ?? 5_000, config.prefix);
}
