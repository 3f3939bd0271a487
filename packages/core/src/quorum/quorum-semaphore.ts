// Quorum semaphores over N independent Redis servers: `limit` numbered slots, each a quorum lock
// (redis-semaphore's RedlockSemaphore / RedlockMultiSemaphore, made safe for limits above 1).
import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type AdoptOptions, adoptLease, checkHandle } from '../adopt/adopt-lease.js';
import { InvalidArgumentError, QuorumError } from '../errors.js';
import { Lease } from '../lease/lease.js';
import type { ExtendOutcome, LeaseDriver } from '../lease/lease-driver.js';
import type { QuorumOptions } from '../lockstep-options.js';
import { abortedError, bounded } from '../redis/request.js';
import { runScript, STATUS } from '../redis/scripts.js';
import type { PermitRequest, SemaphoreBackend, SemaphoreState } from '../semaphore/semaphore.js';
import type { ResolvedSemaphoreOptions } from '../semaphore/semaphore-options.js';
import { monotonicNow } from '../util/clock.js';
import { newToken } from '../util/ids.js';
import { encodeName } from '../util/names.js';
import type { Filled } from '../util/option-names.js';
import type { AcquireRequest, AcquireRuntime } from '../waiting/contender.js';
import type { InFlightLimiter } from './in-flight-limiter.js';
import { firstConnect, inFlightLimiter } from './quorum-lock.js';
import { acquireRound, extendRound, outOfTime, type RoundResult, releaseRound, sleep } from './quorum-round.js';

/** Immediate re-picks per acquisition when the nodes say other slots are free. */
const QUICK_REPICKS = 3;

/** Largest `limit` of a semaphore in quorum mode (each node lists the slots it holds). */
export const MAX_QUORUM_LIMIT = 1_000;

type Script = 'quorumSemAcquire' | 'quorumSemExtend' | 'quorumSemRelease';

/**
 * What one attempt over all nodes came to; `taken`: how many answering nodes said each slot is
 * taken by someone else.
 */
type Attempt = RoundResult & { readonly taken: ReadonlyMap<number, number> };

/**
 * A semaphore over independent servers. The limit is `limit` numbered slots and a permit of weight
 * w is w slots; a slot counts as taken only when a majority of nodes granted it to the same token,
 * so each slot is a quorum lock and at most `limit` weighted permits are valid at once. (Counting
 * permits per node and accepting a majority, as redis-semaphore does, lets up to
 * `limit × N / majority` through: three holders of a limit-2 semaphore on 3 nodes can each own a
 * different pair of nodes.) No fence, no queue: waiters retry with jitter, as quorum locks do.
 */
export class QuorumSemaphoreEngine implements SemaphoreBackend {
  readonly kind = 'semaphore';
  readonly #key: string;
  readonly #quorum: number;
  readonly #nodeTimeoutMs: number;
  readonly #limiter: InFlightLimiter;
  /** What the last attempt learned: how many nodes report each slot taken (seeds the next pick). */
  #lastTaken: ReadonlyMap<number, number> = new Map();

  constructor(
    readonly name: string,
    prefix: string,
    readonly settings: { readonly limit: number; readonly ttlMs: number },
    private readonly clients: readonly Redis[],
    private readonly quorumOptions: Filled<QuorumOptions>,
    readonly runtime: AcquireRuntime,
  ) {
    this.#key = `{${prefix}:qs:${encodeName(name)}}`;
    this.#quorum = Math.floor(clients.length / 2) + 1;
    this.#nodeTimeoutMs = Math.max(1, Math.min(quorumOptions.nodeTimeoutMs, Math.floor(settings.ttlMs / 10)));
    this.#limiter = inFlightLimiter(runtime, quorumOptions.maxInFlight);
  }

  #call(node: number, script: Script, args: readonly (string | number)[], timeoutMs: number): Promise<unknown> {
    const client = this.clients[node] as Redis;
    return this.#limiter.run(() =>
      bounded(runScript(client, script, [this.#key], args), `${script} on node ${node}`, Math.max(1, timeoutMs)),
    );
  }

  /** The limit: fixed in quorum mode. */
  get limit(): number {
    return this.settings.limit;
  }

  /** Not in quorum mode: the limit is the number of slots every process agreed on. */
  async setLimit(): Promise<void> {
    throw new InvalidArgumentError('`setLimit()` needs a single Redis or a Cluster, not quorum mode');
  }

  /** Not in quorum mode: no single server has the whole picture. */
  async inspect(): Promise<SemaphoreState> {
    throw new InvalidArgumentError('`inspect()` needs a single Redis or a Cluster, not quorum mode');
  }

  /** Acquires `permit.weight` slots; `permit.priority` only shortens or lengthens the retry delay. */
  async acquire(permit: PermitRequest, request: AcquireRequest): Promise<Lease | null> {
    const rt = this.runtime;
    rt.assertOpen();
    const signal = request.signal;
    if (signal?.aborted) throw abortedError(this.name, signal);
    const deadline = monotonicNow() + request.waitMs;
    const connecting = this.clients.map((c) => firstConnect(c, rt.requestTimeoutMs)).filter((p) => p !== undefined);
    if (connecting.length > 0) await Promise.all(connecting);
    let slots = this.#pick(permit.weight, this.#lastTaken);
    let repicks = 0;
    for (let attempts = 1; ; attempts++) {
      // A fresh token per attempt: a retried release of an earlier attempt's slots (same slot
      // numbers, maybe) can then never remove what this attempt was granted.
      const token = newToken();
      const result = await this.#attempt(token, slots);
      if (result.kind !== 'granted') this.#lastTaken = result.taken;
      if (result.kind === 'granted') {
        const lease = new Lease({
          name: this.name,
          id: slots.join(','),
          token,
          fence: undefined,
          ttlMs: this.settings.ttlMs,
          validUntil: result.validUntil,
          weight: permit.weight,
          autoExtend: request.autoExtend,
          onLost: request.onLost,
          driver: this.driver,
          onSettle: (settled) => rt.untrack(settled),
        });
        rt.track(lease);
        return lease;
      }
      // A failed attempt is undone on every node (ordered after the acquire on each connection).
      this.#releaseAll(token, slots).catch((err: unknown) => rt.onError(err));
      if (result.kind === 'unavailable') throw new QuorumError(this.name, 'unavailable', result.nodes, attempts);
      // The slots picked were taken but the nodes report enough others free: try those at once
      // (a few times), so tryAcquire() is null only when the semaphore is really full.
      if (result.kind === 'contention' && repicks < QUICK_REPICKS && this.#room(result.taken) >= permit.weight) {
        repicks++;
        slots = this.#pick(permit.weight, result.taken);
        continue;
      }
      const delay = this.#retryDelay(permit.priority);
      if (request.waitMs === 0 || monotonicNow() + delay >= deadline) {
        return outOfTime(this.name, result, attempts, request);
      }
      slots = this.#pick(permit.weight, result.taken);
      await sleep(delay, signal);
      if (signal?.aborted) throw abortedError(this.name, signal);
    }
  }

  // Best-effort priority: a higher priority retries sooner, a lower one later. There is no queue.
  #retryDelay(priority: number): number {
    const { retryDelayMs, retryJitterMs } = this.quorumOptions;
    const base = retryDelayMs + (retryJitterMs > 0 ? randomInt(0, retryJitterMs + 1) : 0);
    if (priority > 0) return Math.ceil(base / 2);
    if (priority < 0) return base * 2;
    return base;
  }

  // Slots that enough nodes report free for a majority to grant them.
  #room(taken: ReadonlyMap<number, number>): number {
    const spare = this.clients.length - this.#quorum;
    let free = 0;
    for (let slot = 0; slot < this.settings.limit; slot++) if ((taken.get(slot) ?? 0) <= spare) free++;
    return free;
  }

  // The `weight` slots the fewest nodes reported taken, from a random start (so contenders spread).
  #pick(weight: number, taken: ReadonlyMap<number, number>): number[] {
    const limit = this.settings.limit;
    const start = randomInt(0, limit);
    const order = Array.from({ length: limit }, (_, i) => (start + i) % limit);
    order.sort((a, b) => (taken.get(a) ?? 0) - (taken.get(b) ?? 0));
    return order.slice(0, weight).sort((a, b) => a - b);
  }

  // Asks every node at once and decides as soon as the outcome is certain (as quorum locks do).
  async #attempt(token: string, slots: readonly number[]): Promise<Attempt> {
    const ttl = this.settings.ttlMs;
    const taken = new Map<number, number>();
    const result = await acquireRound({
      clients: this.clients,
      quorum: this.#quorum,
      ttlMs: ttl,
      drift: (ms) => this.runtime.drift(ms),
      call: (i) => this.#call(i, 'quorumSemAcquire', [token, ttl, ...slots], this.#nodeTimeoutMs),
      granted: (_, reply) => {
        const [ok, ...others] = reply as number[];
        for (const slot of others) taken.set(Number(slot), (taken.get(Number(slot)) ?? 0) + 1);
        return ok === STATUS.granted;
      },
    });
    return { ...result, taken };
  }

  #releaseAll(token: string, slots: readonly number[]): Promise<number> {
    const timeout = Math.max(this.#nodeTimeoutMs * 2, 50);
    return releaseRound(this.clients.length, this.quorumOptions.releaseRetries, (i) =>
      this.#call(i, 'quorumSemRelease', [token, ...slots], timeout),
    );
  }

  /** Extends and releases this semaphore's permits; a lease's id lists its slots. */
  readonly driver: LeaseDriver = {
    kind: 'semaphore',
    drift: (ttl) => this.runtime.drift(ttl),
    onError: (err) => this.runtime.onError(err),
    extend: async (id, token, ttlMs, validUntil): Promise<ExtendOutcome> => {
      const timeout = Math.min(this.#nodeTimeoutMs, validUntil - monotonicNow());
      if (timeout <= 0) return 'no-quorum';
      const slots = id.split(',');
      return await extendRound(this.name, this.clients.length, this.#quorum, (i) =>
        this.#call(i, 'quorumSemExtend', [token, ttlMs, ...slots], timeout),
      );
    },
    release: async (id, token) => (await this.#releaseAll(token, id.split(',').map(Number))) >= this.#quorum,
  };

  /** Adopts exported permits after a majority confirmed their token still holds every slot. */
  adopt(handle: unknown, options?: AdoptOptions): Promise<Lease> {
    const target = {
      name: this.name,
      kind: 'semaphore',
      ttlMs: this.settings.ttlMs,
      fenced: false,
      driver: this.driver,
      runtime: this.runtime,
    } as const;
    const h = checkHandle(handle, target);
    const slots = h.id.split(',');
    const limit = this.settings.limit;
    if (slots.length !== h.weight || !slots.every((s) => /^\d{1,4}$/.test(s) && Number(s) < limit)) {
      throw new InvalidArgumentError('Expected `handle.id` to name `handle.weight` slots of this semaphore');
    }
    return adoptLease(target, h, options);
  }
}

/** The quorum engine of `lockstep.semaphore()` in quorum mode; rejects what it cannot honour. */
export function createQuorumSemaphore(
  name: string,
  prefix: string,
  options: ResolvedSemaphoreOptions,
  clients: readonly Redis[],
  quorumOptions: Filled<QuorumOptions>,
  runtime: AcquireRuntime,
): QuorumSemaphoreEngine {
  if (options.limit > MAX_QUORUM_LIMIT) {
    throw new InvalidArgumentError(
      `Expected \`limit\` to be at most ${MAX_QUORUM_LIMIT} in quorum mode, got ${options.limit}`,
    );
  }
  if (options.agingMs > 0) {
    throw new InvalidArgumentError('`agingMs` needs a queue: quorum semaphores have none (priority is best-effort)');
  }
  return new QuorumSemaphoreEngine(name, prefix, options, clients, quorumOptions, runtime);
}
