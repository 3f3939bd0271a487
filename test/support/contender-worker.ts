// A child process that contends for locks or semaphores and records what it believed, for the
// checker. Usage: node --import tsx contender-worker.ts '<json WorkerConfig>'
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { isLockstepError, type Lease, Lockstep } from '../../packages/core/src/index.js';
import { HistoryWriter, hostNow } from './history.js';

/** What a worker process does. */
export interface WorkerConfig {
  readonly target: { readonly kind: 'standalone' | 'cluster' | 'quorum'; readonly ports: readonly number[] };
  readonly mode: 'lock' | 'semaphore';
  readonly prefix: string;
  readonly names: readonly string[];
  readonly contenders: number;
  /** Grants per contender; the worker stops after this many (or after `durationMs`). */
  readonly iterations: number;
  readonly durationMs?: number;
  /** Hold time per grant in ms (0 yields to the event loop only). */
  readonly holdMs: number;
  readonly ttlMs: number;
  readonly waitMs: number;
  readonly limit?: number;
  /** Weights cycled through by each contender (semaphores). */
  readonly weights?: readonly number[];
  readonly autoExtend?: boolean;
  /** History file to append to. */
  readonly out: string;
  /** Label of this process in the history. */
  readonly label: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;

function connect(): { lockstep: Lockstep; close: () => Promise<void> } {
  const { kind, ports } = config.target;
  if (kind === 'cluster') {
    const cluster = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    cluster.on('error', () => undefined);
    return {
      lockstep: new Lockstep({ redis: cluster, prefix: config.prefix }),
      close: async () => void (await cluster.quit()),
    };
  }
  const clients = ports.map((port) => {
    const client = new Redis({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    return client;
  });
  const redis = kind === 'quorum' ? clients : (clients[0] as Redis);
  return {
    lockstep: new Lockstep({ redis, prefix: config.prefix }),
    close: async () => {
      // A server killed mid-run would make quit() retry for a long time: just drop that client.
      await Promise.all(clients.map(async (c) => (c.status === 'ready' ? void (await c.quit()) : c.disconnect())));
    },
  };
}

async function main(): Promise<void> {
  const { lockstep, close } = connect();
  const history = new HistoryWriter(config.out);
  const deadline = config.durationMs === undefined ? Number.POSITIVE_INFINITY : hostNow() + config.durationMs;
  let grants = 0;
  let failures = 0;
  let counter = 0;
  const contender = async (index: number) => {
    const worker = `${config.label}.${index}`;
    for (let i = 0; i < config.iterations && hostNow() < deadline; i++) {
      const name = config.names[randomInt(0, config.names.length)] as string;
      const weight = config.weights ? (config.weights[i % config.weights.length] as number) : 1;
      const invoked = hostNow();
      let lease: Lease;
      try {
        if (config.mode === 'lock') {
          lease = await lockstep.lock(name, { ttlMs: config.ttlMs }).acquire({
            waitMs: config.waitMs,
            autoExtend: config.autoExtend ?? false,
          });
        } else {
          lease = await lockstep
            .semaphore(name, { limit: config.limit ?? 1, ttlMs: config.ttlMs })
            .acquire({ waitMs: config.waitMs, weight, autoExtend: config.autoExtend ?? false });
        }
      } catch (err) {
        failures++;
        history.write({
          e: 'fail',
          name,
          t: hostNow(),
          code: isLockstepError(err) ? err.code : String(err),
          w: worker,
        });
        continue;
      }
      const id = `${worker}.${counter++}`;
      const t = hostNow();
      history.write({
        e: 'grant',
        id,
        name,
        fence: lease.fence ?? null,
        weight,
        t,
        v: t + lease.remainingMs,
        w: worker,
        i: invoked,
      });
      lease.signal.addEventListener('abort', () => history.write({ e: 'lost', id, t: hostNow(), reason: 'signal' }));
      grants++;
      if (config.holdMs > 0) await sleep(config.holdMs);
      else await new Promise((resolve) => setImmediate(resolve));
      history.write({ e: 'release', id, t: hostNow() });
      await lease.release().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: config.contenders }, (_, i) => contender(i)));
  history.close();
  await lockstep.close();
  await close();
  process.stdout.write(`${JSON.stringify({ grants, failures })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${String(err)}\n`);
  process.exit(1);
});
