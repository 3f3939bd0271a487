// A child process whose contenders lock random pairs and triples of names with lockAll, listed in
// random order, and record every name's window for the checker.
// Usage: node --import tsx lock-all-worker.ts '<json LockAllWorkerConfig>'
import { randomInt } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { isLockstepError, Lockstep, type MultiLease } from '../../packages/core/src/index.js';
import { HistoryWriter, hostNow } from '../support/history.js';

/** What a lockAll worker process does. */
export interface LockAllWorkerConfig {
  readonly target: { readonly kind: 'standalone' | 'cluster' | 'quorum'; readonly ports: readonly number[] };
  readonly prefix: string;
  readonly names: readonly string[];
  readonly contenders: number;
  readonly rounds: number;
  readonly ttlMs: number;
  readonly waitMs: number;
  /** Contender 0 waits only this long, so it times out part way and must give back what it took. */
  readonly shortWaitMs: number;
  readonly out: string;
  readonly label: string;
}

/** What a worker prints last. */
export interface LockAllSummary {
  readonly rounds: number;
  readonly failures: number;
  readonly codes: Record<string, number>;
  /** Failures of the short-wait contender, by code. */
  readonly shortCodes: Record<string, number>;
  /** Longest time from invoking acquire() to its settling, ms. */
  readonly maxCallMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as LockAllWorkerConfig;

function connect(): { lockstep: Lockstep; close: () => Promise<void> } {
  const { kind, ports } = config.target;
  if (kind === 'quorum') {
    const clients = ports.map((port) => new Redis({ host: '127.0.0.1', port }));
    for (const c of clients) c.on('error', () => undefined);
    return {
      lockstep: new Lockstep({ redis: clients, prefix: config.prefix }),
      close: async () => void (await Promise.all(clients.map((c) => c.quit()))),
    };
  }
  const redis =
    kind === 'cluster'
      ? new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })))
      : new Redis({ host: '127.0.0.1', port: ports[0] as number });
  redis.on('error', () => undefined);
  return { lockstep: new Lockstep({ redis, prefix: config.prefix }), close: async () => void (await redis.quit()) };
}

/** 2 or 3 distinct names in random order. */
function pick(): string[] {
  const pool = [...config.names];
  const count = randomInt(2, 4);
  const chosen: string[] = [];
  for (let i = 0; i < count; i++) chosen.push(pool.splice(randomInt(0, pool.length), 1)[0] as string);
  return chosen;
}

async function main(): Promise<void> {
  const { lockstep, close } = connect();
  const history = new HistoryWriter(config.out);
  const codes: Record<string, number> = {};
  const shortCodes: Record<string, number> = {};
  let rounds = 0;
  let failures = 0;
  let maxCallMs = 0;
  let counter = 0;
  const contender = async (index: number) => {
    const worker = `${config.label}.${index}`;
    const waitMs = index === 0 ? config.shortWaitMs : config.waitMs;
    const counts = index === 0 ? shortCodes : codes;
    for (let i = 0; i < config.rounds; i++) {
      const names = pick();
      const invoked = hostNow();
      let lease: MultiLease;
      try {
        lease = await lockstep.lockAll(names, { ttlMs: config.ttlMs }).acquire({ waitMs });
      } catch (err) {
        maxCallMs = Math.max(maxCallMs, hostNow() - invoked);
        failures++;
        const code = isLockstepError(err) ? err.code : String(err);
        counts[code] = (counts[code] ?? 0) + 1;
        history.write({ e: 'fail', name: names.join(','), t: hostNow(), code, w: worker });
        continue;
      }
      const t = hostNow();
      if (index !== 0) maxCallMs = Math.max(maxCallMs, t - invoked);
      const round = counter++;
      const ids = names.map((name) => `${worker}.${round}.${name}`);
      names.forEach((name, k) => {
        const each = lease.leases[k];
        const id = ids[k] as string;
        history.write({
          e: 'grant',
          id,
          name,
          fence: lease.fences[k] ?? null,
          weight: 1,
          t,
          v: t + (each?.remainingMs ?? 0),
          w: worker,
          i: invoked,
        });
        each?.signal.addEventListener('abort', () => history.write({ e: 'lost', id, t: hostNow(), reason: 'signal' }));
      });
      rounds++;
      await new Promise((resolve) => setImmediate(resolve));
      const released = hostNow();
      for (const id of ids) history.write({ e: 'release', id, t: released });
      await lease.release().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: config.contenders }, (_, i) => contender(i)));
  history.close();
  await lockstep.close();
  await close();
  const summary: LockAllSummary = { rounds, failures, codes, shortCodes, maxCallMs: Math.round(maxCallMs) };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${String(err)}\n`);
  process.exit(1);
});
