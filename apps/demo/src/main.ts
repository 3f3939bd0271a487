// The demo: workers in three processes contend for one lock (FIFO hand-off, increasing fences),
// then for a priority semaphore with two permits.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Lockstep } from '@lockstep/core';
import { Redis } from 'ioredis';
import { findRedis } from './redis-source.js';

const source = await findRedis();
console.log(`Lockstep demo using ${source.description}\n`);
const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));

function run(phase: string): Promise<void> {
  const children = ['p1', 'p2', 'p3'].map((name) =>
    spawn(process.execPath, ['--import', 'tsx', worker, source.url, name, '4', phase], {
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) =>
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`)))),
        ),
    ),
  ).then(() => undefined);
}

try {
  console.log('Six workers in three processes take turns on lock "invoice:42" (each holds it 40 ms):');
  await run('lock');
  console.log('\nBoth export permits are busy while nine workers queue at priorities critical/default/bulk;');
  console.log('when they free up, the queue is served by priority, then in arrival order:');
  const redis = new Redis(source.url);
  const lockstep = new Lockstep({ redis, prefix: 'demo' });
  const exports = lockstep.semaphore('exports', { limit: 2, priorities: ['critical', 'default', 'bulk'] });
  const busy = await exports.acquire({ weight: 2 });
  const permits = run('permits');
  // Free the permits once all nine wait (or after 20 s, whatever comes first).
  const until = Date.now() + 20_000;
  while ((await exports.inspect()).waiters.length < 9 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await busy.release();
  await permits;
  await lockstep.close();
  await redis.quit();
  console.log('\nEvery fence is larger than the one before it: pass it to your database to reject stale writers.');
} finally {
  await source.stop();
}
