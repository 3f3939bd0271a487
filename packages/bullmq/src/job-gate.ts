// The gate: takes a key's permit for a job, or parks the job (DelayedError) and wakes it on release.
import type { Lease, Semaphore } from '@lockstep/core';
import { DelayedError } from 'bullmq';
import { anySignal, bullPriority, fallbackFor, jobId } from './job-facts.js';
import { checkKey, type GateKeys, gateKeys, jobSlot } from './keys.js';
import { LocalPermits } from './local-permits.js';
import { Locality } from './locality.js';
import {
  checkLimit,
  type GateJob,
  type GateQueue,
  type JobGateOptions,
  MAX_PRIORITY,
  priorityNumber,
  type ResolvedJobGateOptions,
  resolveJobGateOptions,
} from './options.js';
import { promoteJob, queueOf } from './promote.js';
import { runScript } from './scripts.js';

/**
 * A wait that ran out, by its code: the Lockstep may come from another copy of @lockstep/core (its
 * CommonJS build), whose error classes `instanceof` does not recognise.
 */
function isTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_ACQUIRE_TIMEOUT';
}

/** Most semaphore objects kept per gate before the cache starts over (they are cheap to re-create). */
const MAX_CACHED = 10_000;

/**
 * Longest a permit is handed from job to job before it goes back through the semaphore, so a limit
 * lowered elsewhere (`setLimit` in another process) applies within about this long.
 */
const MAX_CHAIN_MS = 1_000;

/** A parked job handed a permit: its id, its BullMQ priority and the key's jobs in core's queue. */
type Parked = [id: string, priority: string, queued?: number];

/** The handoff script's reply: the job to wake, null when none is parked, 0 when one is reserved. */
type Handoff = Parked | null | 0;

/** A permit a job runs under, and how many jobs of its key were parked when it took it. */
interface Held {
  readonly lease: Lease;
  /** When the lease came from the semaphore (performance.now()): hand-offs keep it, not renew it. */
  readonly since: number;
  /** Settles with the count once the claim is answered (a handed-over permit does not wait for it). */
  readonly parked: number | Promise<number>;
}

/** What the gate knows about one job's key. */
interface Context {
  /** The queue woken jobs are promoted through. */
  readonly queue: GateQueue;
  readonly keys: GateKeys;
  /** The key, as `key(job)` returned it. */
  readonly key: string;
  readonly limit: number;
  readonly semaphore: Semaphore;
  readonly priority: number | string | undefined;
  /** The priority as a number, for the parking order. */
  readonly rank: number;
  /** Rank in the key's line once recorded as parked, else -1. */
  parkedAt: number;
}

/**
 * Per-key concurrency for BullMQ jobs: the logic behind {@link limitProcessor}, usable on its own,
 * for example from a NestJS `WorkerHost.process` method:
 *
 * ```ts
 * const gate = new JobGate({ lockstep, key: (job) => `exports:${job.data.tenantId}`, limit: 2 });
 * async process(job: Job, token?: string) {
 *   return gate.run(job, token, undefined, (signal) => runExport(job.data, signal));
 * }
 * ```
 *
 * `run` takes one of the key's permits (a core semaphore lease, auto-extended) and runs the work
 * with a signal that aborts when BullMQ cancels the job or the permit is lost. When no permit is
 * free it parks the job: records it under the key, moves it to delayed with the worker's token and
 * throws BullMQ's `DelayedError` (no attempt is used, the job does not fail). A worker that frees a
 * permit reserves it for the best parked job (priority, then park order) and promotes that job, so
 * it starts at once and nobody arriving later takes its permit. With a backlog the permit is not
 * even freed: it is kept in this process for up to `handoffMs` and the woken job, starting here,
 * runs under the same lease. A lost wake-up costs at most `fallbackDelayMs`.
 */
export class JobGate<J extends GateJob = GateJob> {
  readonly #o: ResolvedJobGateOptions<J>;
  readonly #semaphores = new Map<string, Semaphore>();
  readonly #background = new Set<Promise<void>>();
  readonly #local = new LocalPermits();
  readonly #locality: Locality;
  /** True when the client is one connection to one server (not a Cluster): commands stay in order. */
  readonly #ordered: boolean;

  /**
   * @param options - see {@link JobGateOptions}
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a bad or unknown option
   */
  constructor(options: JobGateOptions<J>) {
    this.#o = resolveJobGateOptions(options);
    this.#locality = new Locality(this.#o.handoffMs);
    this.#ordered = !('nodes' in this.#o.client && typeof this.#o.client.nodes === 'function');
  }

  /**
   * Runs `work` under a permit of the job's key, or parks the job.
   *
   * @param job - the BullMQ job being processed
   * @param token - the worker's lock token for the job (the processor's second argument)
   * @param signal - BullMQ's cancellation signal (the processor's third argument), if any
   * @param work - the job's work; its signal aborts on cancellation or when the permit is lost
   * @returns what `work` returns
   * @throws BullMQ's `DelayedError` when the job was parked (let it reach the worker)
   * @throws {@link LeaseLostError} `ERR_LEASE_LOST` if the permit was lost while `work` ran
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be used (the job fails and
   *   is retried by BullMQ's `attempts`)
   */
  async run<R>(
    job: J,
    token: string | undefined,
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<R> | R,
  ): Promise<R> {
    const gate = this.#context(job);
    const held = await this.#enter(job, gate, signal);
    if (held === null) {
      await this.#park(job, token, gate);
      throw new DelayedError();
    }
    const { lease } = held;
    try {
      const combined = signal ? anySignal([signal, lease.signal]) : lease.signal;
      const result = await work(combined);
      // Reading `held` checks the window against the clock: work that blocked the event loop past
      // `ttlMs` resumes before the loss timer could fire, and must fail all the same.
      if (!lease.held && lease.lostError) throw lease.lostError;
      return result;
    } finally {
      await this.#release(held, gate);
    }
  }

  /**
   * Changes the limit of `key` on `job`'s queue for every worker (core's `setLimit`: it lasts while
   * the key's semaphore keys live) and wakes parked jobs that now fit.
   */
  async setLimit(job: J, key: string, limit: number): Promise<void> {
    checkLimit(limit);
    const keys = gateKeys(this.#o.prefix, job.queueQualifiedName, checkKey(key));
    const semaphore = this.#semaphore(keys.semaphore, limit);
    await semaphore.setLimit(limit);
    const queue = queueOf(job, this.#o.queue);
    this.#local.setLimit(keys.semaphore, limit);
    const gate: Context = { queue, keys, key, limit, semaphore, priority: undefined, rank: 0, parkedAt: -1 };
    // Every permit free now goes straight to a parked job (not one probe per woken job's start).
    for (let i = 0; i < limit; i++) {
      const lease = await semaphore.tryAcquire({ priority: MAX_PRIORITY - 1, autoExtend: true });
      if (!lease) break;
      this.#local.take(keys.semaphore);
      if (!(await this.#pass(gate, lease, 'release'))) break;
    }
  }

  /**
   * Frees the permits kept for woken jobs that have not started here, and waits for background
   * wake-ups to finish; the gate can still be used afterwards.
   */
  async close(): Promise<void> {
    const o = this.#o;
    for (const lease of this.#local.drain()) this.#spawn(() => lease.release().catch((e: unknown) => o.onError(e)));
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  #semaphore(name: string, limit: number): Semaphore {
    const cacheKey = `${limit}|${name}`;
    let semaphore = this.#semaphores.get(cacheKey);
    if (!semaphore) {
      if (this.#semaphores.size >= MAX_CACHED) this.#semaphores.clear();
      const o = this.#o;
      semaphore = o.lockstep.semaphore(name, {
        limit,
        ttlMs: o.ttlMs,
        ...(o.priorities ? { priorities: o.priorities } : {}),
      });
      this.#semaphores.set(cacheKey, semaphore);
    }
    return semaphore;
  }

  #priorityOf(job: J): number | string | undefined {
    return this.#o.priority ? this.#o.priority(job) : undefined;
  }

  #context(job: J): Context {
    const o = this.#o;
    const queue = queueOf(job, o.queue);
    const key = checkKey(o.key(job));
    const keys = gateKeys(o.prefix, job.queueQualifiedName, key);
    const limit = checkLimit(o.limit(key), 'limit(key)');
    const priority = this.#priorityOf(job);
    const rank = priority === undefined ? (o.classes.get('default') ?? 0) : priorityNumber(priority, o.classes);
    const semaphore = this.#semaphore(keys.semaphore, limit);
    return { queue, keys, key, limit, semaphore, priority, rank, parkedAt: -1 };
  }

  /** Takes a permit, or records the job as parked (`gate.parkedAt`) and returns null. */
  async #enter(job: J, gate: Context, signal: AbortSignal | undefined): Promise<Held | null> {
    const kept = this.#kept(job, gate);
    // Handed over by the job that woke this one, in this process: it never was free, so nothing the
    // claim answers can take it back; the job starts while its reservation is dropped.
    if (kept) return { ...kept, parked: this.#claimInBackground(job, gate) };
    let lease = await this.#try(gate);
    let woken = false;
    if (!lease && this.#lastStart(job)) {
      // Parking again would make BullMQ fail the job unrun at its next start: wait in the slot.
      woken = true; // it queued fairly in core's queue: keep what it gets
      lease = await this.#waitInSlot(gate, signal);
    }
    if (!lease) {
      gate.parkedAt = await this.#record(job, gate, false);
      if (gate.parkedAt >= 0) return null;
      // A permit was freed for this job: kept here for it, or to wait for at the head of core's queue.
      woken = true;
      const late = this.#kept(job, gate);
      if (late) return await this.#claim(job, gate, late.lease, true, late.since);
      lease = await this.#waitReserved(gate);
      if (!lease) {
        gate.parkedAt = await this.#record(job, gate, true);
        return null;
      }
    }
    return await this.#claim(job, gate, lease, woken, performance.now());
  }

  /** A permit kept in this process for this woken job, if any and still held. */
  #kept(job: J, gate: Context): { lease: Lease; since: number } | null {
    const name = gate.keys.semaphore;
    this.#locality.started(jobSlot(name, jobId(job)));
    const kept = this.#local.claim(name, jobId(job));
    if (!kept) return null;
    this.#locality.note(true);
    if (kept.lease.held) return kept;
    this.#local.drop(name);
    this.#spawn(() => kept.lease.release());
    return null;
  }

  /**
   * Tries for a free permit, unless every permit of the key is held in this process: then the
   * answer is known (and their releases will look at the key's line).
   */
  async #try(gate: Context, priority: number | string | undefined = gate.priority): Promise<Lease | null> {
    const { semaphore, keys } = gate;
    if (this.#local.full(keys.semaphore, gate.limit)) return null;
    const lease = await semaphore.tryAcquire({ ...(priority === undefined ? {} : { priority }), autoExtend: true });
    if (lease) this.#local.take(keys.semaphore);
    return lease;
  }

  /** Waits up to `reserveMs` at the head of core's queue for the permit freed for this job. */
  async #waitReserved(gate: Context): Promise<Lease | null> {
    return await this.#waitQueued(gate, { priority: MAX_PRIORITY, waitMs: this.#o.reserveMs });
  }

  /**
   * Waits in core's queue for a permit; null when none came in `waitMs`. Counted in the key's
   * queued jobs meanwhile, so releases free their permits (core's queue then serves this job)
   * instead of keeping them for parked jobs.
   */
  async #waitQueued(
    gate: Context,
    request: { priority?: number | string; waitMs: number; signal?: AbortSignal },
  ): Promise<Lease | null> {
    const { semaphore, keys } = gate;
    const count = (change: number) =>
      runScript(this.#o.client, 'gateQueued', [keys.queued], [change, request.waitMs * 2]);
    await count(1);
    try {
      const lease = await semaphore.acquire({ ...request, autoExtend: true }).catch((error: unknown) => {
        if (isTimeout(error)) return null;
        throw error;
      });
      if (lease) this.#local.take(keys.semaphore);
      return lease;
    } finally {
      await count(-1).catch((error: unknown) => this.#o.onError(error));
    }
  }

  /**
   * Drops the job's reservation and line entry. A newcomer (`woken` false) gives the permit back
   * and parks when a permit is held back for a woken job.
   */
  async #claim(job: J, gate: Context, lease: Lease, woken: boolean, since: number): Promise<Held | null> {
    const { keys } = gate;
    const [mine, others, parked] = (await runScript(
      this.#o.client,
      'gateClaim',
      [keys.reserved, keys.parked, keys.places],
      [jobId(job)],
    ).catch(async (error: unknown) => {
      // Never keep an auto-extended permit for a job that fails here.
      await this.#free(gate, lease, false).catch(() => undefined);
      throw error;
    })) as [number, number, number];
    if (!woken && mine !== 1 && others > 0) {
      // A permit may be held back for a woken job: leave it to that job (a newcomer never takes it).
      await this.#free(gate, lease, false);
      gate.parkedAt = await this.#record(job, gate, true);
      return null;
    }
    // A newcomer may have stepped aside for this job although another permit was free: look.
    if (mine === 1 && parked > 0 && others === 0) this.#spawn(() => this.#probe(gate));
    return { lease, parked, since };
  }

  /**
   * The claim of a job that runs under a handed-over permit: its errors go to `onError` (an
   * unanswered claim leaves a reservation that ends with `reserveMs`); resolves with the count of
   * parked jobs (0 when unknown).
   */
  #claimInBackground(job: J, gate: Context): Promise<number> {
    const { keys } = gate;
    const claim = runScript(this.#o.client, 'gateClaim', [keys.reserved, keys.parked, keys.places], [jobId(job)]).then(
      (reply) => {
        const [mine, others, parked] = reply as [number, number, number];
        if (mine === 1 && parked > 0 && others === 0) this.#spawn(() => this.#probe(gate));
        return parked;
      },
      (error: unknown) => {
        this.#o.onError(error);
        return 0;
      },
    );
    this.#spawn(() => claim);
    return claim;
  }

  /** True when BullMQ would fail this job at its next start (`maxStartedAttempts`): no more parks. */
  #lastStart(job: J): boolean {
    const max = this.#o.maxStartedAttempts;
    return max !== undefined && (job.attemptsStarted ?? 0) >= max;
  }

  /** Waits in core's queue for a permit, up to the longest fallback delay; null when none came. */
  async #waitInSlot(gate: Context, signal: AbortSignal | undefined): Promise<Lease | null> {
    const { priority } = gate;
    return await this.#waitQueued(gate, {
      ...(priority === undefined ? {} : { priority }),
      waitMs: fallbackFor(this.#o.fallbackDelayMs, Number.MAX_SAFE_INTEGER, 1),
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * Records the job in the key's line; returns its rank, or -1 when a permit is reserved for it
   * (then it is not recorded, unless `force`).
   */
  async #record(job: J, gate: Context, force: boolean): Promise<number> {
    const o = this.#o;
    const { keys } = gate;
    const ttl = Math.max(o.fallbackDelayMs, o.reserveMs) * 3 + 60_000;
    return (await runScript(
      o.client,
      'gatePark',
      [keys.parked, keys.places, keys.sequence, keys.reserved],
      [jobId(job), gate.rank, ttl, bullPriority(job), force ? 1 : 0],
    )) as number;
  }

  /** Moves a recorded job to delayed with the worker's token (BullMQ's DelayedError idiom). */
  async #park(job: J, token: string | undefined, gate: Context): Promise<void> {
    const o = this.#o;
    const { parkedAt, limit } = gate;
    await job.moveToDelayed(Date.now() + fallbackFor(o.fallbackDelayMs, parkedAt, limit), token);
    // Only the head of the line looks again; jobs behind it are woken by the releases in front.
    if (parkedAt >= limit) return;
    this.#spawn(async () => {
      // A releaser may have picked this job between its park record and its move to delayed, when a
      // promotion could not take: then it holds a reservation and promotes itself.
      const [mine] = (await runScript(o.client, 'gateEnter', [gate.keys.reserved], [jobId(job)])) as [number, number];
      if (mine === 1) await this.#wake(gate, [jobId(job), String(bullPriority(job))]);
      // Or the permit came free between our failed attempt and the park: look once more.
      else await this.#probe(gate);
    });
  }

  /**
   * Ends a job's hold on its permit. When jobs of the key were parked as it started, the permit goes
   * to the best of them (kept here for it while it is promoted); otherwise it is reserved for the
   * best parked job, if any, and freed. Errors go to `onError`: the job's outcome is the work's, and
   * a missed wake-up costs at most the fallback delay.
   */
  async #release(held: Held, gate: Context): Promise<void> {
    const parked = await held.parked;
    // A lost permit is not handed on: the woken job acquires one the usual way.
    if (parked > 0 && held.lease.held && this.#keeps(gate, held.since)) {
      await this.#pass(gate, held.lease, 'release', held.since).catch((error: unknown) => this.#o.onError(error));
      return;
    }
    const o = this.#o;
    const { keys } = gate;
    this.#local.drop(keys.semaphore);
    const handoff = runScript(
      o.client,
      'gateHandoff',
      [keys.parked, keys.reserved, keys.places, keys.queued],
      ['release', o.reserveMs],
    ).catch((error: unknown) => {
      o.onError(error);
      return null;
    }) as Promise<Parked | null>;
    const release = () => held.lease.release().catch((error: unknown) => o.onError(error));
    // The reservation must be in place before the permit is free. On one connection to one server
    // commands run in the order they were sent, so the release follows at once; a Cluster may route
    // them to different nodes, so there it waits for the reservation's reply.
    const released = this.#ordered ? release() : handoff.then(release);
    const next = await handoff;
    if (next !== null && o.handoffMs > 0) this.#locality.woke(jobSlot(keys.semaphore, next[0]));
    // Promote while the release completes; awaited, so the worker's own completion step can fetch
    // the woken job next.
    await Promise.all([
      released,
      next === null ? undefined : this.#wake(gate, next).catch((error: unknown) => o.onError(error)),
    ]);
  }

  /**
   * Gives a held permit to the best parked job of the key: reserves it for that job, keeps it in
   * this process for `handoffMs` (the job's start here takes it over; else it is freed then) and
   * promotes the job. With `handoffMs` 0 the permit is freed at once. Frees the permit when no job
   * is parked (and looks again after: a job may have parked meanwhile). True when a job was woken.
   */
  async #pass(gate: Context, lease: Lease, mode: 'release' | 'probe', since = performance.now()): Promise<boolean> {
    const o = this.#o;
    const { keys } = gate;
    let next: Handoff;
    try {
      next = (await runScript(
        o.client,
        'gateHandoff',
        [keys.parked, keys.reserved, keys.places, keys.queued],
        [mode, o.reserveMs],
      )) as Handoff;
    } catch (error) {
      await this.#free(gate, lease, false);
      throw error;
    }
    if (next === null || next === 0) {
      await this.#free(gate, lease, next === null);
      return false;
    }
    // Jobs of the key waiting in core's queue (a woken job for its reserved permit, a job on its last
    // start) are served by core's queue: free the permit for them.
    if (!next[2] && this.#keeps(gate, since)) {
      this.#local.hand(keys.semaphore, next[0], { lease, since }, o.handoffMs, (expired) => {
        // The woken job did not start here in time (another process fetched it, or it is late).
        this.#locality.note(false);
        this.#spawn(() => expired.release());
      });
    } else {
      await this.#free(gate, lease, false);
      if (o.handoffMs > 0) this.#locality.woke(jobSlot(keys.semaphore, next[0]));
    }
    await this.#wake(gate, next);
    return true;
  }

  /**
   * Whether a permit taken from the semaphore at `since` may be kept for the job it wakes: keeping
   * is on, woken jobs start here, the permit has not been handed on for long, and this process holds
   * no more permits of the key than its limit now (a lowered limit frees permits until it fits).
   */
  #keeps(gate: Context, since: number): boolean {
    const o = this.#o;
    if (o.handoffMs === 0 || !this.#locality.keep || performance.now() - since >= MAX_CHAIN_MS) return false;
    let limit: number;
    try {
      limit = checkLimit(o.limit(gate.key), 'limit(key)');
    } catch {
      return false; // the next job of the key reports it
    }
    return this.#local.held(gate.keys.semaphore) <= this.#local.limitOf(gate.keys.semaphore, limit);
  }

  /**
   * Frees a permit held here. With `look`, the key's line was empty just before: if a job parked
   * since (after its own look found the permit still held), probe for it.
   */
  async #free(gate: Context, lease: Lease, look: boolean): Promise<void> {
    this.#local.drop(gate.keys.semaphore);
    const released = lease.release();
    if (!look) {
      await released;
      return;
    }
    // On one connection the count runs after the release; a Cluster may route it elsewhere: wait.
    const parked = this.#ordered
      ? this.#o.client.zcard(gate.keys.parked)
      : released.then(() => this.#o.client.zcard(gate.keys.parked));
    const [, count] = await Promise.all([released, parked]);
    if (count > 0) this.#spawn(() => this.#probe(gate));
  }

  /** If a permit is free and jobs are parked, reserves it for the best one and wakes it. */
  async #probe(gate: Context): Promise<boolean> {
    const lease = await this.#try(gate, MAX_PRIORITY - 1);
    if (!lease) return false;
    return await this.#pass(gate, lease, 'probe');
  }

  async #wake(gate: Context, [id, priority]: Parked): Promise<void> {
    const { keys } = gate;
    const outcome = await promoteJob(gate.queue, id, Number(priority));
    if (outcome !== 'gone') return;
    // Nobody will claim this reservation: free it, and pass its permit (if kept here) on.
    await runScript(this.#o.client, 'gateCancel', [keys.reserved, keys.places], [id]);
    const kept = this.#local.claim(keys.semaphore, id);
    if (kept) await this.#pass(gate, kept.lease, 'release', kept.since);
    else await this.#probe(gate);
  }

  #spawn(task: () => Promise<unknown>): void {
    const running = task().then(
      () => undefined,
      (error: unknown) => this.#o.onError(error),
    );
    this.#background.add(running);
    void running.finally(() => this.#background.delete(running));
  }
}
