// One behavioural suite for locks, run against a real Redis and the in-memory backend.
import { describe, expect, it } from 'vitest';
import { delay, eventually } from '../../../../test/support/fixtures.js';
import { type Lease, LeaseLostError } from '../../src/index.js';
import { BACKENDS } from './backends.js';

describe.each(BACKENDS)('lock parity: $name', ({ create }) => {
  it('excludes: one holder at a time, fences strictly increase in grant order', async () => {
    const lock = create().lock('exclusive', { ttlMs: 5_000 });
    let active = 0;
    let most = 0;
    const fences: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, () =>
        lock.withLock(
          async (lease) => {
            active++;
            most = Math.max(most, active);
            fences.push(lease.fence as number);
            await delay(5);
            active--;
          },
          { waitMs: 20_000 },
        ),
      ),
    );
    expect(most).toBe(1);
    expect(fences).toHaveLength(8);
    for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1] as number);
  });

  it('serves waiters in arrival order', async () => {
    const lock = create().lock('fifo', { ttlMs: 30_000 });
    const first = await lock.acquire();
    const order: number[] = [];
    const waiters: Promise<Lease>[] = [];
    for (let i = 0; i < 4; i++) {
      const served = (lease: Lease) => {
        order.push(i);
        return lease;
      };
      waiters.push(lock.acquire({ waitMs: 20_000 }).then(served));
      await eventually(async () => (await lock.inspect()).waiting === i + 1);
    }
    await first.release();
    for (const waiter of waiters) await (await waiter).release();
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('tryAcquire returns null while held; waitMs ends in ERR_ACQUIRE_TIMEOUT', async () => {
    const lock = create().lock('busy');
    const held = await lock.acquire();
    expect(await lock.tryAcquire()).toBeNull();
    await expect(lock.acquire({ waitMs: 0 })).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    await expect(lock.acquire({ waitMs: 150 })).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    const state = await lock.inspect();
    expect(state).toMatchObject({ held: true, fence: held.fence, waiting: 0 });
    expect(await held.release()).toBe(true);
    expect(await held.release()).toBe(false);
    expect((await lock.inspect()).held).toBe(false);
  });

  it('an AbortSignal ends a wait with ERR_ABORTED and leaves no queue entry', async () => {
    const lock = create().lock('abort');
    const held = await lock.acquire();
    const controller = new AbortController();
    const waiting = lock.acquire({ waitMs: 20_000, signal: controller.signal });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await eventually(async () => (await lock.inspect()).waiting === 0);
    await held.release();
    await expect(lock.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('a lease that is not extended expires: signal aborts, onLost fires, the next caller gets it', async () => {
    const lock = create().lock('expiry', { ttlMs: 200 });
    const losses: LeaseLostError[] = [];
    const lease = await lock.acquire({ onLost: (error) => void losses.push(error) });
    const waiter = lock.acquire({ waitMs: 10_000 });
    const reason = await new Promise<unknown>((resolve) =>
      lease.signal.addEventListener('abort', () => resolve(lease.signal.reason)),
    );
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect((reason as LeaseLostError).reason).toBe('expired');
    expect(losses).toHaveLength(1);
    expect(lease.held).toBe(false);
    await expect(lease.extend()).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    const next = await waiter;
    expect(next.fence).toBeGreaterThan(lease.fence as number);
    expect(await lease.release()).toBe(false);
    expect(await next.release()).toBe(true);
  });

  it('auto-extension keeps a lease past its TTL until released', async () => {
    // Over two TTLs; a 1 s TTL, so a stall of a few hundred ms on a loaded machine is no loss.
    const lock = create().lock('extended', { ttlMs: 1_000 });
    const lease = await lock.acquire({ autoExtend: true });
    await delay(2_200);
    expect(lease.held).toBe(true);
    expect(await lock.tryAcquire()).toBeNull();
    await lease.extend(1_000);
    expect(await lease.release()).toBe(true);
    const again = await lock.tryAcquire();
    expect(again).not.toBeNull();
    await again?.release();
  });

  it('releaseAfter keeps the name taken for ms, then it expires quietly and a waiter gets it', async () => {
    const lock = create().lock('at-least', { ttlMs: 10_000 });
    const losses: LeaseLostError[] = [];
    const lease = await lock.acquire({ autoExtend: true, onLost: (error) => void losses.push(error) });
    const started = performance.now();
    expect(await lease.releaseAfter(300)).toBe(true);
    expect(lease.held).toBe(false);
    expect(await lock.tryAcquire()).toBeNull();
    const next = await lock.acquire({ waitMs: 5_000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(next.fence).toBeGreaterThan(lease.fence as number);
    expect(losses).toEqual([]);
    expect(lease.signal.aborted).toBe(false);
    expect(await lease.release()).toBe(false);
    expect(await next.release()).toBe(true);
  });

  it('withLock rejects ERR_LEASE_LOST when the lease was lost during the callback', async () => {
    const lock = create().lock('with-lost', { ttlMs: 150 });
    const result = lock.withLock(
      async (lease) => {
        await new Promise((resolve) => lease.signal.addEventListener('abort', resolve));
        return 'finished anyway';
      },
      { autoExtend: false },
    );
    await expect(result).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    expect(await lock.withLock(async () => 'ok')).toBe('ok');
  });

  it('maxWaiters bounds the queue with ERR_QUEUE_FULL', async () => {
    const lock = create().lock('bounded', { maxWaiters: 1 });
    const held = await lock.acquire();
    const controller = new AbortController();
    const queued = lock.acquire({ waitMs: 20_000, signal: controller.signal });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    await expect(lock.acquire({ waitMs: 1_000 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await held.release();
  });

  it('close() ends waits with ERR_CLOSED and takes no new work', async () => {
    const lockstep = create();
    // A short TTL: a Redis waiter notices the close when it next re-checks (at the holder's TTL).
    const lock = lockstep.lock('closing', { ttlMs: 300 });
    const held = await lock.acquire();
    const waiting = lock.acquire({ waitMs: 10_000 });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    // Expected before close() resolves: close() may end the wait while it still awaits its subscriber.
    const ended = expect(waiting).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await lockstep.close();
    await ended;
    expect(() => lockstep.lock('other')).toThrow(/closed/);
    await expect(lock.acquire()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(held.fence).toBeGreaterThan(0);
  });

  it('rejects bad input with the same errors', async () => {
    const lockstep = create();
    expect(() => lockstep.lock('x', { ttlMs: -1 })).toThrow(
      'Expected `ttlMs` to be an integer from 10 to 2147483647, got -1',
    );
    expect(() => lockstep.lock('')).toThrow(/`name`/);
    const lock = lockstep.lock('x');
    await expect(lock.acquire({ waitMs: -5 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(lock.acquire({ wait: 5 } as never)).rejects.toThrow(/Unknown option `wait`/);
    await expect(lock.tryAcquire({ waitMs: 5 } as never)).rejects.toThrow(/never waits/);
    await expect(lock.withLock(undefined as never)).rejects.toThrow('Expected `fn` to be a function');
  });
});
