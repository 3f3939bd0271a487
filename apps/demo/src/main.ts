// The demo: workers in three processes contend for one lock (FIFO hand-off, increasing fences),
// then for a priority semaphore with two permits.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
  console.log('\nNine workers ask for 2 export permits at priorities critical/default/bulk:');
  await run('permits');
  console.log('\nEvery fence is larger than the one before it: pass it to your database to reject stale writers.');
} finally {
  await source.stop();
}
