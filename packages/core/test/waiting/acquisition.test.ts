// The acquisition loop against a fake contender and runtime (a pure unit: no Redis), under fake timers.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LockstepError, RedisUnavailableError } from '../../src/errors.js';
import type { Lease } from '../../src/lease/lease.js';
import type { ExtendOutcome, LeaseDriver } from '../../src/lease/lease-driver.js';
import { RequestIds } from '../../src/util/ids.js';
import { acquire } from '../../src/waiting/acquisition.js';
import type {
  AcquireRequest,
  AcquireRuntime,
  AttemptReply,
  Contender,
  PushedReply,
} from '../../src/waiting/contender.js';
import type { HeartbeatBatcher } from '../../src/waiting/heartbeats.js';
import type { WaitHandler, WaitHub } from '../../src/waiting/wait-hub.js';

type Answer = AttemptReply | Error | 'hang';

const driver: LeaseDriver = {
  extend: async (): Promise<ExtendOutcome> => 'extended',
  release: async () => true,
  drift: () => 0,
  onError: () => undefined,
};

/** Answers attempts from a script (the last answer repeats) and records every call. */
class FakeContender implements Contender {
  readonly name = 'job';
  readonly channel = 'ch:job';
  readonly ttlMs = 10_000;
  readonly weight = 1;
  readonly maxWaiters = 5;
  readonly waiterTtlMs = 3_000;
  readonly driver = driver;
  readonly attempts: { id: string; wait: boolean; at: number }[] = [];
  readonly giveUps: string[] = [];
  answers: Answer[];

  constructor(...answers: Answer[]) {
    this.answers = answers;
  }

  attempt(id: string, _token: string, wait: boolean): Promise<AttemptReply> {
    this.attempts.push({ id, wait, at: performance.now() });
    const answer = (this.answers.length > 1 ? this.answers.shift() : this.answers[0]) as Answer;
    if (answer === 'hang') return new Promise(() => undefined);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }

  async giveUp(id: string): Promise<number> {
    this.giveUps.push(id);
    return 1;
  }

  parse(message: string): PushedReply {
    const [, fence, deadline, claimMs] = message.split('|');
    return { kind: 'granted', fence: Number(fence), deadline: Number(deadline), claimMs: Number(claimMs) };
  }

  async heartbeat(): Promise<string[]> {
    return [];
  }
}

/** The runtime with a wait hub whose pushes the test delivers by hand. */
class FakeRuntime implements AcquireRuntime {
  readonly requestTimeoutMs = 1_000;
  readonly errors: unknown[] = [];
  readonly leases = new Set<Lease>();
  readonly grants: number[] = [];
  readonly beating = new Map<string, () => void>();
  readonly handlers = new Map<string, WaitHandler>();
  recheck: NodeJS.Timeout | undefined;
  readonly ids = new RequestIds();

  drift(): number {
    return 0;
  }

  newId(): string {
    return this.ids.next();
  }

  hub(): WaitHub {
    const hub = {
      preRegister: () => false,
      watch: async (_channel: string, id: string, handler: WaitHandler) => {
        this.handlers.set(id, handler);
        return { fresh: false };
      },
      unwatch: (_channel: string, id: string) => void this.handlers.delete(id),
      // The name's shared re-check: pokes the first waiter, like the real hub.
      recheckIn: (_channel: string, ms: number) => {
        clearTimeout(this.recheck);
        this.recheck = setTimeout(() => this.handlers.values().next().value?.(null), ms);
      },
    };
    return hub as unknown as WaitHub;
  }

  handOff(messages: readonly string[]): void {
    for (const message of messages) this.handlers.get(message.slice(0, message.indexOf('|')))?.(message);
  }

  heartbeats(): HeartbeatBatcher {
    const batcher = {
      add: (_target: unknown, id: string, onGone: () => void) => void this.beating.set(id, onGone),
      remove: (_channel: string, id: string) => void this.beating.delete(id),
    };
    return batcher as unknown as HeartbeatBatcher;
  }

  assertOpen(): void {}

  onError(error: unknown): void {
    this.errors.push(error);
  }

  explain(error: unknown): unknown {
    return error;
  }

  track(lease: Lease): void {
    this.leases.add(lease);
  }

  untrack(lease: Lease): void {
    this.leases.delete(lease);
  }

  granted(_c: Contender, waitedMs: number): void {
    this.grants.push(waitedMs);
  }

  /** Delivers a grant message to every watching waiter, as another process's release would. */
  push(message: string | null): void {
    for (const handler of this.handlers.values()) handler(message);
  }
}

function request(over: Partial<AcquireRequest> = {}): AcquireRequest {
  return { waitMs: 5_000, signal: undefined, autoExtend: false, onLost: undefined, orNull: false, ...over };
}

const granted = (fence = 1): AttemptReply => ({ kind: 'granted', fence, remainingMs: 10_000 });
const queued = (recheckInMs = -1): AttemptReply => ({ kind: 'queued', recheckInMs, serverNow: 1_000 });

describe('acquisition loop against a fake contender', () => {
  // One fake clock for the whole file: request deadlines share one process-wide interval timer
  // (redis/deadlines.ts), which must keep ticking on the clock it was created on.
  beforeAll(() => {
    vi.useFakeTimers();
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('granted at once: a held lease, tracked and counted, nothing to give back', async () => {
    const c = new FakeContender(granted(4));
    const rt = new FakeRuntime();
    const lease = (await acquire(c, rt, request())) as Lease;
    expect(lease.fence).toBe(4);
    expect(lease.held).toBe(true);
    expect(rt.leases.has(lease)).toBe(true);
    expect(rt.grants).toHaveLength(1);
    expect(c.attempts).toHaveLength(1);
    expect(c.giveUps).toEqual([]);
    expect(rt.beating.size).toBe(0);
  });

  it('queued, then pushed a grant: the lease has the claim window; heartbeats and watch end', async () => {
    const c = new FakeContender(queued());
    const rt = new FakeRuntime();
    const queuedSeen = vi.fn();
    const pending = acquire(c, rt, request({ onQueued: queuedSeen }));
    await vi.advanceTimersByTimeAsync(10);
    expect(queuedSeen).toHaveBeenCalledTimes(1);
    expect(rt.beating.size).toBe(1);
    expect(rt.handlers.size).toBe(1);
    // Server clock 1,000 when queued; the claim ends at 3,000 server time: 2 s from the attempt.
    rt.push(`${c.attempts[0]?.id}|9|3000|2000`);
    const lease = (await pending) as Lease;
    expect(lease.fence).toBe(9);
    expect(lease.remainingMs).toBeGreaterThan(1_900);
    expect(lease.remainingMs).toBeLessThanOrEqual(2_000);
    expect(c.attempts).toHaveLength(1);
    expect(rt.beating.size).toBe(0);
    expect(rt.handlers.size).toBe(0);
    expect(c.giveUps).toEqual([]);
  });

  it('queued until the wait ends: one last attempt, then ERR_ACQUIRE_TIMEOUT and the place given back', async () => {
    const c = new FakeContender(queued());
    const rt = new FakeRuntime();
    const pending = acquire(c, rt, request({ waitMs: 2_500 }));
    const outcome = expect(pending).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(2_600);
    await outcome;
    // First attempt, re-checks every waiterTtlMs/3 (1 s), and the last try at the deadline.
    expect(c.attempts.length).toBeGreaterThanOrEqual(3);
    expect(c.attempts.every((a) => a.wait)).toBe(true);
    expect(c.giveUps).toEqual([c.attempts[0]?.id]);
    expect(rt.beating.size).toBe(0);
  });

  it('a last attempt at the deadline that finds the grant returns it (a lost message is not contention)', async () => {
    const c = new FakeContender(queued(), queued(), queued(), granted(3));
    const rt = new FakeRuntime();
    const pending = acquire(c, rt, request({ waitMs: 2_500 }));
    await vi.advanceTimersByTimeAsync(2_600);
    expect(((await pending) as Lease).fence).toBe(3);
  });

  it('busy on a try: null with orNull, ERR_ACQUIRE_TIMEOUT without; nothing held either way', async () => {
    const busy: AttemptReply = { kind: 'busy', recheckInMs: 100 };
    const c = new FakeContender(busy);
    const rt = new FakeRuntime();
    expect(await acquire(c, rt, request({ waitMs: 0, orNull: true }))).toBeNull();
    await expect(acquire(c, rt, request({ waitMs: 0 }))).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    expect(c.attempts.map((a) => a.wait)).toEqual([false, false]);
    expect(c.giveUps).toEqual([]);
  });

  it('aborted while queued: ERR_ABORTED at once, the queue place given back', async () => {
    const c = new FakeContender(queued());
    const rt = new FakeRuntime();
    const controller = new AbortController();
    const pending = acquire(c, rt, request({ signal: controller.signal, waitMs: 60_000 }));
    const outcome = expect(pending).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await vi.advanceTimersByTimeAsync(50);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    await outcome;
    expect(c.giveUps).toHaveLength(1);
    expect(rt.beating.size).toBe(0);
    expect(rt.handlers.size).toBe(0);
  });

  it('aborted while its attempt hangs (Redis stalled): ERR_ABORTED within one deadline tick, the attempt given up', async () => {
    const c = new FakeContender('hang');
    const rt = new FakeRuntime();
    const controller = new AbortController();
    const pending = acquire(c, rt, request({ signal: controller.signal, waitMs: 60_000 }));
    let settled = false;
    const outcome = expect(
      pending.finally(() => {
        settled = true;
      }),
    ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await vi.advanceTimersByTimeAsync(50);
    expect(settled).toBe(false);
    controller.abort();
    // The in-flight request polls its signal at each 5 ms deadline tick, then after one turn.
    await vi.advanceTimersByTimeAsync(6);
    expect(settled).toBe(true);
    await outcome;
    expect(c.attempts).toHaveLength(1);
    expect(c.giveUps).toHaveLength(1);
  });

  it('an already aborted signal fails before any attempt', async () => {
    const c = new FakeContender(granted());
    const controller = new AbortController();
    controller.abort();
    await expect(acquire(c, new FakeRuntime(), request({ signal: controller.signal }))).rejects.toMatchObject({
      code: 'ERR_ABORTED',
    });
    expect(c.attempts).toHaveLength(0);
  });

  it('an outage that lasts the whole wait ends in ERR_REDIS, not ERR_ACQUIRE_TIMEOUT', async () => {
    const c = new FakeContender(new RedisUnavailableError('connection refused', false));
    const rt = new FakeRuntime();
    const pending = acquire(c, rt, request({ waitMs: 1_000 }));
    const outcome = expect(pending).rejects.toMatchObject({ code: 'ERR_REDIS' });
    await vi.advanceTimersByTimeAsync(1_100);
    await outcome;
    expect(c.attempts.length).toBeGreaterThan(3);
    expect(rt.errors.length).toBe(c.attempts.length - 1);
  });

  it('an attempt that hangs is bounded by what is left of the wait and reported as ERR_REDIS', async () => {
    const c = new FakeContender('hang');
    const pending = acquire(c, new FakeRuntime(), request({ waitMs: 300 }));
    const outcome = expect(pending).rejects.toBeInstanceOf(RedisUnavailableError);
    await vi.advanceTimersByTimeAsync(400);
    await outcome;
    expect(c.attempts).toHaveLength(1);
  });

  it('retries failed attempts with growing backoff, then takes the grant', async () => {
    const down = new RedisUnavailableError('connection refused', false);
    const c = new FakeContender(down, down, down, down, granted(2));
    const rt = new FakeRuntime();
    const pending = acquire(c, rt, request());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(((await pending) as Lease).fence).toBe(2);
    const gaps = c.attempts.slice(1).map((a, i) => Math.round(a.at - (c.attempts[i]?.at ?? 0)));
    expect(gaps).toEqual([10, 25, 50, 100]);
    expect(rt.errors).toHaveLength(4);
  });

  it('a full queue is ERR_QUEUE_FULL with maxWaiters, and a first attempt that holds nothing gives nothing back', async () => {
    const c = new FakeContender({ kind: 'full' });
    const error = await acquire(c, new FakeRuntime(), request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockstepError);
    expect(error).toMatchObject({ code: 'ERR_QUEUE_FULL' });
    expect((error as Error).message).toContain('5');
    expect(c.giveUps).toEqual([]);
  });

  it('a queue that fills after we were queued gives our place back', async () => {
    const c = new FakeContender(queued(), { kind: 'full' });
    const rt = new FakeRuntime();
    const pending = acquire(c, rt, request());
    const outcome = expect(pending).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    rt.beating.values().next().value?.();
    await vi.advanceTimersByTimeAsync(1_100);
    await outcome;
    expect(c.giveUps).toHaveLength(1);
  });

  it('a grant that arrives after its window ended is handed back and the loop tries again', async () => {
    const late: AttemptReply = { kind: 'granted', fence: 5, remainingMs: 0 };
    const c = new FakeContender(late, granted(6));
    const rt = new FakeRuntime();
    const lease = (await acquire(c, rt, request())) as Lease;
    expect(lease.fence).toBe(6);
    expect(c.giveUps).toHaveLength(1);
    expect(c.attempts).toHaveLength(2);
  });
});
