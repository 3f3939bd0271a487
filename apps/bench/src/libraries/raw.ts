// The raw-protocol baseline, no library: SET NX PX to acquire, an EVALSHA compare-and-delete to
// release. Under contention it polls every 1 ms (setTimeout(1)).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TTL_MS, WAIT_MS } from '../config.js';
import { AcquireTimeout, type LibraryInstance, type LibraryRow } from './library.js';

/** The compare-and-delete every library's release amounts to. */
export const COMPARE_AND_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

function instance(client: Redis): LibraryInstance {
  let sha: Promise<string> | undefined;
  const loaded = () => {
    sha ??= client.script('LOAD', COMPARE_AND_DELETE) as Promise<string>;
    return sha;
  };
  return {
    mutex(key) {
      return {
        async acquire() {
          const digest = await loaded();
          const token = randomBytes(16).toString('hex');
          const deadline = performance.now() + WAIT_MS;
          for (;;) {
            if ((await client.set(key, token, 'PX', TTL_MS, 'NX')) === 'OK') {
              return {
                release: async () => {
                  await client.evalsha(digest, 1, key, token);
                },
              };
            }
            if (performance.now() >= deadline) throw new AcquireTimeout(`raw: ${key} still held after ${WAIT_MS} ms`);
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        },
      };
    },
    semaphore: undefined,
    close: async () => undefined,
  };
}

export const RAW_ROWS: readonly LibraryRow[] = [
  {
    id: 'raw',
    library: 'raw SET NX PX + EVALSHA',
    variant: 'tuned',
    setting: 'no library; polls every 1 ms under contention',
    kind: 'raw',
    hasSemaphore: false,
    hasQuorum: false,
    create: (clients) => instance(clients[0] as Redis),
  },
];
