// One demo worker process: a few async workers that take the invoice lock, then export permits.
import { setTimeout as sleep } from 'node:timers/promises';
import { Lockstep } from '@lockstep/core';
import { Redis } from 'ioredis';

const [url = '', processName = 'p?', rounds = '4'] = process.argv.slice(2);
const redis = new Redis(url);
const lockstep = new Lockstep({ redis, prefix: 'demo' });
const lock = lockstep.lock('invoice:42', { ttlMs: 2_000 });
const exports = lockstep.semaphore('exports', { limit: 2, priorities: ['critical', 'default', 'bulk'] });

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function lockWorker(worker: string): Promise<void> {
  for (let i = 0; i < Number(rounds); i++) {
    const asked = performance.now();
    await lock.withLock(async (lease) => {
      const waited = (performance.now() - asked).toFixed(1);
      log(`lock   ${worker.padEnd(6)} got invoice:42  fence ${lease.fence}  after ${waited.padStart(6)} ms`);
      await sleep(40);
    });
  }
}

async function permitWorker(worker: string, priority: string): Promise<void> {
  const asked = performance.now();
  await exports.withPermit(
    async (permit) => {
      const waited = (performance.now() - asked).toFixed(1);
      log(`permit ${worker.padEnd(6)} ${priority.padEnd(8)} fence ${permit.fence}  after ${waited.padStart(6)} ms`);
      await sleep(60);
    },
    { priority, waitMs: 20_000 },
  );
}

const phase = process.argv[5] ?? 'lock';
if (phase === 'lock') {
  await Promise.all([lockWorker(`${processName}.a`), lockWorker(`${processName}.b`)]);
} else {
  const classes = ['bulk', 'default', 'critical'];
  await Promise.all(classes.map((priority, i) => permitWorker(`${processName}.${i}`, priority)));
}
await lockstep.close();
await redis.quit();
