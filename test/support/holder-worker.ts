// A child process that takes a lock or permits (or waits for them) and then idles until it is
// killed, printing each step on stdout. Usage: node --import tsx holder-worker.ts '<json>'
import { Redis } from 'ioredis';
import { Lockstep } from '../../packages/core/src/index.js';

interface HolderConfig {
  readonly port: number;
  readonly prefix: string;
  readonly mode: 'lock' | 'semaphore';
  readonly name: string;
  readonly limit?: number;
  readonly weight?: number;
  readonly ttlMs: number;
  readonly waiterTtlMs?: number;
  readonly autoExtend?: boolean;
  readonly waitMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as HolderConfig;
const redis = new Redis({ port: config.port });
const lockstep = new Lockstep({ redis, prefix: config.prefix });
const options = { waitMs: config.waitMs, autoExtend: config.autoExtend ?? true };
process.stdout.write('started\n');
const lease =
  config.mode === 'lock'
    ? await lockstep
        .lock(config.name, { ttlMs: config.ttlMs, ...(config.waiterTtlMs ? { waiterTtlMs: config.waiterTtlMs } : {}) })
        .acquire(options)
    : await lockstep
        .semaphore(config.name, {
          limit: config.limit ?? 1,
          ttlMs: config.ttlMs,
          ...(config.waiterTtlMs ? { waiterTtlMs: config.waiterTtlMs } : {}),
        })
        .acquire({ ...options, weight: config.weight ?? 1 });
process.stdout.write(`held ${lease.fence}\n`);
// Idle until killed; the lease is auto-extended while this process lives.
setInterval(() => undefined, 60_000);
