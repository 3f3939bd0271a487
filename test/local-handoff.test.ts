// Local hand-off: when a release serves a waiter of the releasing process, the release's reply
// carries the grant and that waiter starts at once, without its pushed message. The subscriber
// connection is paused in these tests (its socket reads nothing), so a waiter that still needed
// the message would sit until its wait ran out. The pushed copy, read later, must change nothing.
import type { Socket } from 'node:net';
import { standalonePort } from '@lockstep/test-utils/context';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../packages/core/src/index.js';
import { LUA_SCRIPTS } from '../packages/core/src/lua/scripts.generated.js';
import { delay, eventually, standaloneLockstep } from './support/fixtures.js';
import { startHolder } from './support/workers.js';

const TTL_MS = 30_000;
/** Waiters' heartbeats (a third of it apart) would find a missed grant: far past WAIT_MS. */
const WAITER_TTL_MS = 60_000;
/**
 * Far below the holders' TTL and the heartbeat period: a waiter that missed its grant is served
 * only by the last attempt its wait makes as it runs out. A local hand-off takes far less than half.
 */
const WAIT_MS = 8_000;
const PROMPT_MS = WAIT_MS / 2;

/** Resolves with `promise`'s value and how long it took from now, ms. */
async function timed<T>(promise: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await promise;
  return [value, performance.now() - started];
}

// Captures the subscriber connection the Lockstep duplicates from `redis` on its first wait, and
// tells when its subscriptions are confirmed (the socket must not be paused before that: the
// waiter would wait for the confirmation, not for its grant).
function captureSubscriber(redis: Redis): {
  pause(): void;
  resume(): void;
  messages(): number;
  ready(): Promise<void>;
} {
  let sub: Redis | undefined;
  let count = 0;
  let pending = 0;
  let confirmed = 0;
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = ((...args: Parameters<Redis['duplicate']>) => {
    const created = duplicate(...args);
    for (const method of ['ssubscribe', 'subscribe'] as const) {
      const original = created[method].bind(created) as (...a: unknown[]) => Promise<unknown>;
      (created as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => {
        pending++;
        return original(...a).finally(() => confirmed++);
      };
    }
    created.on('smessage', () => count++);
    created.on('message', () => count++);
    sub = created;
    return created;
  }) as Redis['duplicate'];
  const stream = () => (sub as unknown as { stream: Socket }).stream;
  return {
    pause: () => stream().pause(),
    resume: () => stream().resume(),
    messages: () => count,
    ready: () => eventually(() => pending > 0 && confirmed === pending),
  };
}

type Setup = ReturnType<typeof standaloneLockstep>;

function target(setup: Setup, mode: 'lock' | 'semaphore', name: string, limit = 1) {
  return mode === 'lock'
    ? setup.lockstep.lock(name, { ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS })
    : setup.lockstep.semaphore(name, { limit, ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS });
}

describe('local hand-off', () => {
  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: a local waiter starts on the release's reply, with its pushed message held back`, async () => {
      const setup = standaloneLockstep();
      const sub = captureSubscriber(setup.redis);
      const holder = await target(setup, mode, 'relay').acquire();
      const waiting = target(setup, mode, 'relay').acquire({ waitMs: WAIT_MS });
      await eventually(async () => (await target(setup, mode, 'relay').inspect()).waiting === 1);
      await sub.ready();
      sub.pause();
      const before = sub.messages();
      const [next, ms] = await timed(holder.release().then(() => waiting));
      expect(ms).toBeLessThan(PROMPT_MS);
      // Granted while the subscriber read nothing: no pushed message was needed.
      expect(sub.messages()).toBe(before);
      expect(next.held).toBe(true);
      expect(next.fence).toBeGreaterThan(holder.fence as number);
      // The pushed copy, read now, is ignored: the lease stays as it is, nobody else is granted.
      sub.resume();
      await eventually(() => sub.messages() > before);
      await delay(50);
      expect(next.held).toBe(true);
      expect(await target(setup, mode, 'relay').tryAcquire()).toBeNull();
      // The claim is confirmed by an extension as usual, and the lease releases normally.
      await next.extend();
      expect(await next.release()).toBe(true);
      const again = await target(setup, mode, 'relay').tryAcquire();
      expect(again?.fence).toBeGreaterThan(next.fence as number);
      await again?.release();
    });
  }

  it('semaphore: one release serves several local waiters, in order, all without messages', async () => {
    const setup = standaloneLockstep();
    const sub = captureSubscriber(setup.redis);
    const sem = setup.lockstep.semaphore('many', { limit: 3, ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS });
    const big = await sem.acquire({ weight: 3 });
    const order: number[] = [];
    const waits = [0, 1, 2].map((i) =>
      sem.acquire({ waitMs: WAIT_MS }).then((lease) => {
        order.push(i);
        return lease;
      }),
    );
    await eventually(async () => (await sem.inspect()).waiting === 3);
    await sub.ready();
    sub.pause();
    const [leases, ms] = await timed(big.release().then(() => Promise.all(waits)));
    expect(ms).toBeLessThan(PROMPT_MS);
    expect(order).toEqual([0, 1, 2]);
    const fences = leases.map((l) => l.fence as number);
    expect([...fences].sort((a, b) => a - b)).toEqual(fences);
    expect(fences[0]).toBeGreaterThan(big.fence as number);
    const state = await sem.inspect();
    expect(state.used).toBe(3);
    expect(state.waiting).toBe(0);
    sub.resume();
    for (const lease of leases) expect(await lease.release()).toBe(true);
    expect((await sem.inspect()).used).toBe(0);
  });

  for (const mode of ['lock', 'semaphore'] as const) {
    it(`${mode}: a waiter aborted while its local hand-off is in flight passes the grant on`, async () => {
      const setup = standaloneLockstep();
      const sub = captureSubscriber(setup.redis);
      const holder = await target(setup, mode, 'abort').acquire();
      const controller = new AbortController();
      const first = target(setup, mode, 'abort').acquire({ waitMs: WAIT_MS, signal: controller.signal });
      await eventually(async () => (await target(setup, mode, 'abort').inspect()).waiting === 1);
      const second = target(setup, mode, 'abort').acquire({ waitMs: WAIT_MS });
      await eventually(async () => (await target(setup, mode, 'abort').inspect()).waiting === 2);
      await sub.ready();
      sub.pause();
      // The release is sent first and grants `first`; the abort's clean-up follows it on the same
      // connection, finds that grant and passes it on to `second`, whose grant comes back on the
      // clean-up's reply: nobody needs a pushed message.
      const started = performance.now();
      const released = holder.release();
      controller.abort();
      await expect(first).rejects.toMatchObject({ code: 'ERR_ABORTED' });
      expect(await released).toBe(true);
      const next = await second;
      expect(performance.now() - started).toBeLessThan(PROMPT_MS);
      expect(next.held).toBe(true);
      expect(next.fence).toBeGreaterThan(holder.fence as number);
      expect(await target(setup, mode, 'abort').tryAcquire()).toBeNull();
      sub.resume();
      expect(await next.release()).toBe(true);
      const state = await target(setup, mode, 'abort').inspect();
      expect(state.waiting).toBe(0);
      const free = await target(setup, mode, 'abort').tryAcquire();
      expect(free).not.toBeNull();
      await free?.release();
    });

    it(`${mode}: aborts and timeouts racing local hand-offs never grant twice or lose the name`, async () => {
      const setup = standaloneLockstep();
      const name = 'race';
      let inside = 0;
      let overlap = 0;
      const fences: number[] = [];
      const worker = async (i: number) => {
        for (let round = 0; round < 12; round++) {
          const controller = new AbortController();
          // Some waits are cut short by an abort at a random moment, some by a short waitMs.
          if ((i + round) % 3 === 0) setTimeout(() => controller.abort(), Math.floor(Math.random() * 6));
          let lease: Lease;
          try {
            lease = await target(setup, mode, name).acquire({
              waitMs: (i + round) % 3 === 1 ? 1 + Math.floor(Math.random() * 8) : WAIT_MS,
              signal: controller.signal,
            });
          } catch (error) {
            expect((error as { code?: string }).code).toMatch(/^ERR_(ABORTED|ACQUIRE_TIMEOUT)$/);
            continue;
          }
          inside++;
          if (inside > 1) overlap++;
          fences.push(lease.fence as number);
          await delay(Math.floor(Math.random() * 3));
          inside--;
          expect(await lease.release()).toBe(true);
        }
      };
      await Promise.all([0, 1, 2, 3, 4, 5].map(worker));
      expect(overlap).toBe(0);
      expect(new Set(fences).size).toBe(fences.length);
      // Nothing held, nobody queued: the name is free for the next caller at once.
      await eventually(async () => (await target(setup, mode, name).inspect()).waiting === 0);
      const free = await target(setup, mode, name).tryAcquire();
      expect(free).not.toBeNull();
      await free?.release();
    });
  }

  it('lock: local and remote waiters keep one FIFO order across processes', async () => {
    const setup = standaloneLockstep();
    const name = 'mixed';
    const ttlMs = 1_500;
    const lock = setup.lockstep.lock(name, { ttlMs });
    // Auto-extended: the worker process may take seconds to start on a loaded machine.
    const holder = await lock.acquire({ autoExtend: true });
    const granted: string[] = [];
    const local1 = lock.acquire({ waitMs: 20_000, autoExtend: true }).then((lease) => {
      granted.push('local1');
      return lease;
    });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    // A waiter of another process, queued second: it holds until killed (auto-extended).
    const remote = startHolder({
      port: standalonePort(),
      prefix: setup.prefix,
      mode: 'lock',
      name,
      ttlMs,
      waitMs: 20_000,
    });
    try {
      await eventually(async () => (await lock.inspect()).waiting === 2, 15_000);
      const local2 = lock.acquire({ waitMs: 20_000, autoExtend: true }).then((lease) => {
        granted.push('local2');
        return lease;
      });
      await eventually(async () => (await lock.inspect()).waiting === 3);
      await holder.release();
      const first = await local1;
      // The remote waiter is next: local2 (same process as the releaser) must not overtake it.
      await first.release();
      const remoteFence = Number((await remote.waitFor('held ')).split(' ')[1]);
      expect(granted).toEqual(['local1']);
      expect(remoteFence).toBeGreaterThan(first.fence as number);
      // The remote holder dies; its lease runs out and local2 is served.
      await remote.kill();
      const second = await local2;
      expect(granted).toEqual(['local1', 'local2']);
      expect(second.fence).toBeGreaterThan(remoteFence);
      await second.release();
    } finally {
      await remote.kill();
    }
  }, 40_000);

  it('lock: a release that hands on says in the same message whose claim it settled', async () => {
    // Two instances on one name: for each, the other's waiters are remote. `x` holds and has
    // `w1` queued; `y` has `w2` and `w3` queued behind. When w1's claim is released and handed to
    // w2, y must learn that w1's claim is settled from the grant message alone, or it re-checks
    // (an acquire from w3) when w1's claim window ends.
    const x = standaloneLockstep();
    const y = standaloneLockstep({ prefix: x.prefix });
    let yAcquires = 0;
    const send = y.redis.sendCommand.bind(y.redis);
    y.redis.sendCommand = ((command: { name: string; args: unknown[] }) => {
      const sha = String(command.args[0]);
      if (command.name === 'evalsha' && sha === LUA_SCRIPTS.lockAcquire.sha) yAcquires++;
      return send(command as never);
    }) as typeof y.redis.sendCommand;
    const sub = captureSubscriber(y.redis);
    const xLock = x.lockstep.lock('settle', { ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS });
    const yLock = y.lockstep.lock('settle', { ttlMs: TTL_MS, waiterTtlMs: WAITER_TTL_MS });
    const holder = await xLock.acquire();
    // y subscribes to the name first, with a wait it then gives up, so w2 and w3 queue on an
    // active subscription and make no re-check once it is confirmed. Made late (a slow subscriber
    // on a loaded machine), such a re-check could be answered during w1's claim window and arm y's
    // re-check of the name for that window's end (the holder's deadline): one more acquire from y,
    // though none for watching w1's claim, which is what this test counts.
    const primer = new AbortController();
    const priming = yLock.acquire({ waitMs: 20_000, signal: primer.signal });
    await eventually(async () => (await xLock.inspect()).waiting === 1);
    await sub.ready();
    primer.abort();
    await expect(priming).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await eventually(async () => (await xLock.inspect()).waiting === 0);
    const w1 = xLock.acquire({ waitMs: 20_000 });
    await eventually(async () => (await xLock.inspect()).waiting === 1);
    const w2 = yLock.acquire({ waitMs: 20_000 });
    await eventually(async () => (await xLock.inspect()).waiting === 2);
    const controller = new AbortController();
    const w3 = yLock.acquire({ waitMs: 20_000, signal: controller.signal });
    // Handled here too, so a failed check below is not followed by an unhandled rejection at close.
    w3.catch(() => undefined);
    await eventually(async () => (await xLock.inspect()).waiting === 3);
    await holder.release();
    const first = await w1;
    await first.release();
    const second = await w2;
    const after = yAcquires;
    // Past w1's claim window (CLAIM_MS 1 s, plus the hub's margin): no re-check from y.
    await delay(1_400);
    expect(yAcquires).toBe(after);
    controller.abort();
    await expect(w3).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await second.release();
  });
});
