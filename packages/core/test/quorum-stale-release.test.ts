// A failed quorum attempt is undone with release scripts that are retried when they time out. On a
// starved event loop the first release "times out" although Redis answered, the next attempt is
// sent, and the release retry then arrives after that attempt's grant on the same connection. It
// must not remove the key of the lease that attempt returned (found by the fault suite's scenario 6
// under a load average of 20-36: two overlapping windows on one name).
//
// Deterministic: the stall is a synchronous busy-wait started right after the first release is
// sent, so the release's deadline (2 node timeouts) and the retry delay both run out during it, and
// the retry of the release is sent 10 ms after the next attempt, whatever the machine's load.
import { uniquePrefix } from '@lockstep/test-utils';
import { quorumClients } from '@lockstep/test-utils/context';
import type { Command, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Lockstep } from '../src/index.js';

const NODE_TIMEOUT_MS = 1_000;
const STALL_MS = 2 * NODE_TIMEOUT_MS + 600;

const opened: Lockstep[] = [];
afterAll(async () => {
  for (const l of opened) await l.close().catch(() => undefined);
});

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a starved event loop: no timer, no socket read runs meanwhile
  }
}

/**
 * Calls `onRelease` once, synchronously, when `client` sends its first quorum release (the only
 * quorum script with a single argument: sha, key count, key, token).
 */
function onFirstRelease(client: Redis, onRelease: () => void): void {
  const send = client.sendCommand.bind(client);
  let armed = true;
  client.sendCommand = ((command: Command, stream?: unknown) => {
    const sent = send(command, stream as never);
    if (armed && (command.name === 'evalsha' || command.name === 'eval') && command.args.length === 4) {
      armed = false;
      onRelease();
    }
    return sent;
  }) as typeof client.sendCommand;
}

describe('quorum: a retried release of a failed attempt never removes a later grant', () => {
  it('keeps the key on every granting node while the returned lease is valid', async () => {
    const prefix = uniquePrefix('qsr');
    const name = 'stale-release';
    const key = `{${prefix}:q:${name}}`;
    const admin = quorumClients();
    const clients = quorumClients();
    await Promise.all([...admin, ...clients].map((c) => c.ping()));
    // Someone else holds the lock on every node: the first attempt is contention.
    await Promise.all(admin.map((c) => c.set(key, 'someone-else', 'PX', 60_000)));

    const a = new Lockstep({
      redis: clients,
      prefix,
      quorum: { nodeTimeoutMs: NODE_TIMEOUT_MS, retryDelayMs: 50, retryJitterMs: 0 },
    });
    const c = new Lockstep({ redis: quorumClients(), prefix, quorum: { nodeTimeoutMs: NODE_TIMEOUT_MS } });
    opened.push(a, c);

    // When the failed attempt's release goes out on the last node: the other holder lets go (the
    // servers run the DEL during the stall), then this process stalls past the release deadline.
    let stalled = false;
    onFirstRelease(clients[4] as Redis, () => {
      stalled = true;
      for (const x of admin) x.del(key).catch(() => undefined);
      queueMicrotask(() => busyWait(STALL_MS));
    });

    const lease = await a.lock(name, { ttlMs: 60_000 }).acquire({ waitMs: 20_000 });
    // The first attempt failed, was undone, and the stall happened (else this test proves nothing).
    expect(stalled).toBe(true);
    // Let every release retry of the failed attempt reach its node (10 ms and 30 ms back-offs).
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const holding = await Promise.all(admin.map((x) => x.exists(key)));
    expect(holding.reduce((s, n) => s + n, 0)).toBeGreaterThanOrEqual(3);
    expect(lease.signal.aborted).toBe(false);
    // While the lease is valid, nobody else can take the lock.
    const other = await c.lock(name, { ttlMs: 60_000 }).tryAcquire();
    expect(other).toBeNull();
    await other?.release();
    await lease.release();
    expect(await Promise.all(admin.map((x) => x.exists(key)))).toEqual([0, 0, 0, 0, 0]);
  }, 60_000);
});
