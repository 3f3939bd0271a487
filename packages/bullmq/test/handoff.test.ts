// The permit a finishing job frees while jobs of its key are parked: kept in this process for the job
// it wakes (`handoffMs`), never free in between; freed when that job starts elsewhere. And a job of a
// key whose permits this process holds parks without asking the semaphore.
import { Lockstep } from '@lockstep/core';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { JobGate, type JobGateOptions } from '../src/index.js';
import { gateKeys } from '../src/keys.js';
import { type FreshQueue, freshQueue, until } from './support/harness.js';

type KeyJob = Job<{ key: string }>;

/** A gate whose Lockstep counts the semaphore `tryAcquire` calls (one Redis attempt each). */
function countingGate(redis: Redis, q: FreshQueue, handoffMs: number, extra: Partial<JobGateOptions<KeyJob>> = {}) {
  const lockstep = new Lockstep({ redis, prefix: q.prefix });
  const tries = { count: 0 };
  const semaphore = lockstep.semaphore.bind(lockstep);
  lockstep.semaphore = (name, options) => {
    const s = semaphore(name, options);
    const tryAcquire = s.tryAcquire.bind(s);
    s.tryAcquire = (o) => {
      tries.count++;
      return tryAcquire(o);
    };
    return s;
  };
  const gate = new JobGate<KeyJob>({
    lockstep,
    prefix: q.prefix,
    key: (job) => job.data.key,
    limit: 1,
    handoffMs,
    ...extra,
  });
  return { gate, lockstep, tries };
}

describe('hand-off of a freed permit to the woken job', () => {
  let q: FreshQueue | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await q?.cleanup();
  });

  /**
   * Runs a holder, parks P1 and P2 behind it, lets the holder finish (P1 is woken and runs while P2
   * is parked), then lets P1 finish: the case where the permit is handed to P2. Returns P1's fence,
   * with what is needed to go on.
   */
  async function toHandOff(
    handoffMs: number,
    extra: Partial<JobGateOptions<KeyJob>> = {},
    beforeP1Ends = async () => {},
  ) {
    const redis = standaloneClient();
    q = freshQueue(standalonePort(), redis);
    const fresh = q;
    const a = countingGate(redis, fresh, handoffMs, extra);
    // A worker without a processor: jobs are fetched and handed to the gate by hand, in a set order.
    const worker = new Worker(fresh.name, null, {
      connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
      prefix: fresh.bullPrefix,
    });
    closers.push(async () => {
      await worker.close();
      await a.gate.close();
      await a.lockstep.close();
    });
    const inspector = a.lockstep.semaphore(`bq:${fresh.bullPrefix}:${fresh.name}:k`, { limit: 1 });
    const fence = async () => (await inspector.inspect()).holders.map((h) => h.fence);
    const next = async (token: string) => (await worker.getNextJob(token)) as KeyJob;
    const hold = () => {
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      return { work: () => done, finish };
    };
    const [, p1, p2] = await fresh.queue.addBulk(['holder', 'p1', 'p2'].map((name) => ({ name, data: { key: 'k' } })));
    context = { fresh, a, next };

    const holder = hold();
    const h = await next('t-h');
    const holding = a.gate.run(h, 't-h', undefined, holder.work);
    await expect.poll(fence, { timeout: 10_000 }).toHaveLength(1);
    const triesBefore = a.tries.count;
    for (const token of ['t-p1', 't-p2']) {
      const job = await next(token);
      await expect(a.gate.run(job, token, undefined, async () => 'never')).rejects.toBeInstanceOf(DelayedError);
    }
    // Every permit of the key is held in this process: the parked jobs did not ask the semaphore.
    expect(a.tries.count).toBe(triesBefore);

    holder.finish();
    await holding;
    await h.moveToCompleted('done', 't-h', false);
    const woken = await next('t-p1b');
    expect(woken.id).toBe(p1?.id);
    const first = hold();
    const running = a.gate.run(woken, 't-p1b', undefined, first.work);
    await expect.poll(fence, { timeout: 10_000 }).toHaveLength(1);
    const [p1Fence] = await fence();
    await beforeP1Ends();
    first.finish();
    await running;
    await woken.moveToCompleted('done', 't-p1b', false);
    expect(await fresh.queue.getJobState(p2?.id as string)).toBe('waiting');
    return { fresh, redis, a, next, fence, p1Fence: p1Fence as number, p2Id: p2?.id as string };
  }
  let context: { fresh: FreshQueue; a: ReturnType<typeof countingGate>; next: (token: string) => Promise<KeyJob> };

  it('a job waiting in its slot on its last start (maxStartedAttempts) is not passed over for the backlog', async () => {
    let waiting: Promise<unknown> = Promise.resolve();
    const ran: string[] = [];
    // Its in-slot wait lasts 12 x 10 s; a permit kept for P2 would be freed after 30 s.
    const options = { maxStartedAttempts: 2, fallbackDelayMs: 10_000, reserveMs: 60_000 };
    const { next, a, p2Id } = await toHandOff(30_000, options, async () => {
      const { fresh, a, next } = context;
      const added = await fresh.queue.add('last', { key: 'k' }, { lifo: true });
      // Start 1 parks; start 2 is its last: it waits for the permit in its slot (core's queue).
      const first = await next('t-last-1');
      expect(first.id).toBe(added.id);
      await expect(a.gate.run(first, 't-last-1', undefined, async () => 'never')).rejects.toBeInstanceOf(DelayedError);
      await first.promote();
      const last = await next('t-last-2');
      expect([last.id, last.attemptsStarted]).toEqual([added.id, 2]);
      waiting = a.gate.run(last, 't-last-2', undefined, async () => ran.push('last'));
      const semaphore = a.lockstep.semaphore(`bq:${fresh.bullPrefix}:${fresh.name}:k`, { limit: 1 });
      await expect.poll(async () => (await semaphore.inspect()).waiters.length, { timeout: 10_000 }).toBe(1);
    });
    // P1's release gives the permit to the waiter, not to the backlog behind the kept window.
    await until(() => ran.length > 0, 10_000, 'the in-slot waiter to run');
    await waiting;
    expect(ran).toEqual(['last']);
    // P2 was still woken; it gets the permit after the waiter.
    const p2 = await next('t-p2b');
    expect(p2.id).toBe(p2Id);
    expect(await a.gate.run(p2, 't-p2b', undefined, async () => 'ran')).toBe('ran');
  });

  it('keeps the permit for the woken job: never free, the same lease (fence), newcomers park unasked', async () => {
    const { fresh, redis, a, next, fence, p1Fence, p2Id } = await toHandOff(4_000);
    // Between P1's end and P2's start the permit stays held, under P1's fence.
    expect(await fence()).toEqual([p1Fence]);
    const newcomer = await fresh.queue.add('newcomer', { key: 'k' }, { lifo: true });
    const n = await next('t-n');
    expect(n.id).toBe(newcomer.id);
    const tries = a.tries.count;
    await expect(a.gate.run(n, 't-n', undefined, async () => 'never')).rejects.toBeInstanceOf(DelayedError);
    expect(a.tries.count).toBe(tries);

    const p2 = await next('t-p2b');
    expect(p2.id).toBe(p2Id);
    const seen = await a.gate.run(p2, 't-p2b', undefined, fence);
    expect(seen).toEqual([p1Fence]);
    expect(a.tries.count).toBe(tries);
    // P2 started before its claim was answered; the claim still dropped its reservation and place.
    await a.gate.close();
    const keys = gateKeys(fresh.prefix, p2.queueQualifiedName, 'k');
    expect(await redis.zscore(keys.reserved, p2Id)).toBeNull();
    expect(await redis.hget(keys.places, p2Id)).toBeNull();
  });

  it('with handoffMs 0 frees the permit at once: the woken job acquires a new one', async () => {
    const { a, next, fence, p1Fence, p2Id } = await toHandOff(0);
    expect(await fence()).toEqual([]);
    const p2 = await next('t-p2b');
    expect(p2.id).toBe(p2Id);
    const [seen] = await a.gate.run(p2, 't-p2b', undefined, fence);
    expect(seen).toBeGreaterThan(p1Fence);
  });

  it('a woken job that starts in another process gets the permit when handoffMs runs out', async () => {
    const { fresh, next, fence, p1Fence, p2Id } = await toHandOff(300);
    // Another process: its own client, Lockstep and gate; nothing is kept for P2 there.
    const other = countingGate(standaloneClient(), fresh, 300);
    closers.push(async () => {
      await other.gate.close();
      await other.lockstep.close();
    });
    const p2 = await next('t-p2b');
    expect(p2.id).toBe(p2Id);
    const seen = await other.gate.run(p2, 't-p2b', undefined, fence);
    // It asked the semaphore, waited for the permit reserved for it, and got it once it was freed.
    expect(other.tries.count).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThan(p1Fence);
    expect(await fence()).toEqual([]);
  });
});

describe('a lowered limit and the hand-off', () => {
  let q: FreshQueue | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await q?.cleanup();
  });

  it('a limit(key) lowered while a backlog is handed on applies at the next release: the permit is freed', async () => {
    const redis = standaloneClient();
    q = freshQueue(standalonePort(), redis);
    const fresh = q;
    let limit = 2;
    const lockstep = new Lockstep({ redis, prefix: fresh.prefix });
    const gate = new JobGate<KeyJob>({
      lockstep,
      prefix: fresh.prefix,
      key: (job) => job.data.key,
      limit: () => limit,
      handoffMs: 4_000,
    });
    const worker = new Worker(fresh.name, null, {
      connection: { port: standalonePort(), host: '127.0.0.1', maxRetriesPerRequest: null },
      prefix: fresh.bullPrefix,
    });
    closers.push(async () => {
      await worker.close();
      await gate.close();
      await lockstep.close();
    });
    const semaphore = lockstep.semaphore(`bq:${fresh.bullPrefix}:${fresh.name}:k`, { limit: 2 });
    const holders = async () => (await semaphore.inspect()).holders.length;
    const next = async (token: string) => (await worker.getNextJob(token)) as KeyJob;
    const running = new Map<string, { done: Promise<unknown>; finish: () => void }>();
    const start = async (token: string) => {
      const job = await next(token);
      let finish: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const done = gate.run(job, token, undefined, () => held).then(() => job.moveToCompleted('ok', token, false));
      running.set(job.name, { done, finish });
      return job;
    };
    const end = async (name: string) => {
      const r = running.get(name);
      r?.finish();
      await r?.done;
    };
    await fresh.queue.addBulk(['h1', 'h2', 'p1', 'p2', 'p3', 'p4'].map((name) => ({ name, data: { key: 'k' } })));
    await start('t-h1');
    await start('t-h2');
    await expect.poll(holders, { timeout: 10_000 }).toBe(2);
    for (const token of ['t-p1', 't-p2', 't-p3', 't-p4']) {
      const job = await next(token);
      await expect(gate.run(job, token, undefined, async () => 'never')).rejects.toBeInstanceOf(DelayedError);
    }
    // The holders started with nothing parked: their permits are freed and P1, P2 woken.
    await end('h1');
    await end('h2');
    // Each promoted job goes to the front of the wait list: P2 comes first.
    const woken = [(await start('t-p1b')).name, (await start('t-p2b')).name];
    expect(woken.sort()).toEqual(['p1', 'p2']);
    await expect.poll(holders, { timeout: 10_000 }).toBe(2);

    // P1 and P2 started with P3 and P4 parked: their releases would hand their permits on.
    limit = 1;
    await end('p1');
    // Freed, not handed on: P3 (woken) finds the key full at the new limit and waits.
    expect(await holders()).toBe(1);
    const p3 = await next('t-p3b');
    expect(p3.name).toBe('p3');
    let p3Ran = false;
    const p3Done = gate.run(p3, 't-p3b', undefined, async () => {
      p3Ran = true;
      expect(await holders()).toBe(1);
    });
    await expect.poll(async () => (await semaphore.inspect()).waiters.length, { timeout: 10_000 }).toBe(1);
    expect(p3Ran).toBe(false);
    // P2's release frees its permit for P3, waiting in core's queue for its reserved permit, rather
    // than keeping it 4 s for P4 (the poll gives up after 3 s: room for a loaded machine, and still
    // short of the 4 s kept permit).
    await end('p2');
    await expect.poll(() => p3Ran, { timeout: 3_000 }).toBe(true);
    await p3Done;
  });
});
