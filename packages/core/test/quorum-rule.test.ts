// Quorum answers tell contention from outage: a majority that answered without granting is
// contention (tryAcquire null, acquire ERR_ACQUIRE_TIMEOUT with the per-node detail as cause);
// ERR_QUORUM only when no majority could answer. Every mix of granted / held / unreachable for 3
// and 5 nodes, on the shared servers plus clients of a port where nothing listens.
import { uniquePrefix } from '@lockstep/test-utils';
import { quorumPorts } from '@lockstep/test-utils/context';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AcquireTimeoutError, Lockstep, QuorumError } from '../src/index.js';

type Outcome = 'granted' | 'held' | 'unreachable';

const DEAD_PORT = 1;

const opened: Redis[] = [];
afterAll(() => {
  for (const c of opened) c.disconnect();
});

function client(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  c.on('error', () => undefined);
  opened.push(c);
  return c;
}

/** Every way to split n nodes into granted, held and unreachable counts. */
function mixes(n: number): [number, number, number][] {
  const all: [number, number, number][] = [];
  for (let g = 0; g <= n; g++) for (let h = 0; g + h <= n; h++) all.push([g, h, n - g - h]);
  return all;
}

function expected(n: number, [g, h]: [number, number, number]): 'lease' | 'contention' | 'quorum' {
  const q = Math.floor(n / 2) + 1;
  if (g >= q) return 'lease';
  return g + h >= q ? 'contention' : 'quorum';
}

describe('quorum: contention is contention, ERR_QUORUM only when no majority answers', () => {
  for (const n of [3, 5]) {
    it(`${n} nodes: every mix of granted, held and unreachable`, async () => {
      const live = quorumPorts().slice(0, n);
      // Port 1: nothing listens there, and no server started by a parallel test file can take it (a
      // free port picked now could be, and would then answer).
      const dead = Array.from({ length: n }, () => DEAD_PORT);
      const seen: string[] = [];
      for (const mix of mixes(n)) {
        const [g, h] = mix;
        const prefix = uniquePrefix('qr');
        const name = `mix-${mix.join('-')}`;
        const key = `{${prefix}:q:${name}}`;
        // Node i: granted for i < g, held by someone else for g <= i < g + h, else unreachable.
        const outcomes: Outcome[] = Array.from({ length: n }, (_, i) =>
          i < g ? 'granted' : i < g + h ? 'held' : 'unreachable',
        );
        const clients = outcomes.map((o, i) => client(o === 'unreachable' ? (dead[i] as number) : (live[i] as number)));
        await Promise.all(
          outcomes.map((o, i) => (o === 'held' ? clients[i]?.set(key, 'someone-else', 'PX', 30_000) : undefined)),
        );
        const lockstep = new Lockstep({ redis: clients, prefix, quorum: { nodeTimeoutMs: 500, retryDelayMs: 20 } });
        const want = expected(n, mix);
        const tried = await lockstep
          .lock(name, { ttlMs: 10_000 })
          .tryAcquire()
          .catch((err: unknown) => err);
        if (want === 'lease') {
          expect(tried, name).toHaveProperty('fence', undefined);
          await (tried as { release(): Promise<boolean> }).release();
        } else if (want === 'contention') {
          expect(tried, name).toBeNull();
          const waited = await lockstep
            .lock(name, { ttlMs: 10_000 })
            .acquire({ waitMs: 150 })
            .catch((err: unknown) => err);
          expect(waited, name).toBeInstanceOf(AcquireTimeoutError);
          const cause = (waited as AcquireTimeoutError).cause as QuorumError;
          expect(cause, name).toBeInstanceOf(QuorumError);
          expect(
            cause.nodes.map((x) => x.outcome),
            name,
          ).toEqual(outcomes);
        } else {
          expect(tried, name).toBeInstanceOf(QuorumError);
          expect((tried as QuorumError).code).toBe('ERR_QUORUM');
          expect((tried as QuorumError).reason, name).toBe('unavailable');
        }
        seen.push(`${mix.join('/')}=${want}`);
        await lockstep.close();
        await Promise.all(clients.map((c, i) => (outcomes[i] === 'unreachable' ? undefined : c.del(key))));
      }
      expect(seen).toHaveLength(((n + 1) * (n + 2)) / 2);
    });
  }
});
