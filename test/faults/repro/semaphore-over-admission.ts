// Reproduction of a core finding (not a test): a Lockstep semaphore (limit 2) under contention
// admits a third holder while two leases are still inside their windows, and a live holder's
// release() then resolves false (its permit had vanished on the server). Found by the fault suite's
// C3 control run against the semaphore scripts of 2162f6d.
// Run: tsx test/faults/repro/semaphore-over-admission.ts   (bounded: 20 s, one local server)
import { randomInt } from 'node:crypto';
import { startRedisServer } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { Lockstep } from '../../../packages/core/src/index.js';

const LIMIT = 2;
const server = await startRedisServer();
const clients = [0, 1, 2].map(() => new Redis({ port: server.port }));
const instances = clients.map((redis) => new Lockstep({ redis, prefix: 'repro' }));
let active = 0;
let maxActive = 0;
let grants = 0;
let liveReleasesRefused = 0;
const end = performance.now() + 20_000;

async function contender(lockstep: Lockstep): Promise<void> {
  const semaphore = lockstep.semaphore('s', { limit: LIMIT, ttlMs: 1_000 });
  while (performance.now() < end) {
    const lease = await semaphore.acquire({ waitMs: 5_000 });
    grants++;
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((resolve) => setTimeout(resolve, randomInt(0, 4)));
    const held = lease.held;
    active--;
    if (!(await lease.release()) && held) liveReleasesRefused++;
  }
}

await Promise.all(instances.flatMap((lockstep) => Array.from({ length: 16 }, () => contender(lockstep))));
process.stdout.write(
  `grants ${grants}; most holders at once ${maxActive} (limit ${LIMIT}); releases of live leases that found no permit: ${liveReleasesRefused}\n`,
);
for (const lockstep of instances) await lockstep.close();
for (const client of clients) client.disconnect();
await server.stop();
