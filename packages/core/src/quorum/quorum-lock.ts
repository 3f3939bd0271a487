// Quorum (Redlock) locks over N independent Redis servers: per-attempt validity on the monotonic
// clock, early decisions, release on every node, and per-node diagnostics.
import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type AdoptOptions, adoptLease } from '../adopt/adopt-lease.js';
import { QuorumError } from '../errors.js';
import { Lease } from '../lease/lease.js';
import type { ExtendOutcome, LeaseDriver } from '../lease/lease-driver.js';
import type { LockEngine, LockState } from '../lock/lock-engine.js';
import type { LockOptions } from '../lock/lock-options.js';
import type { QuorumOptions } from '../lockstep-options.js';
import { abortedError, bounded } from '../redis/request.js';
import { runScript, STATUS } from '../redis/scripts.js';
import { monotonicNow } from '../util/clock.js';
import { newToken } from '../util/ids.js';
import { encodeName } from '../util/names.js';
import type { Filled } from '../util/option-names.js';
import type { AcquireRequest, AcquireRuntime } from '../waiting/contender.js';
import { InFlightLimiter } from './in-flight-limiter.js';
import { acquireRound, extendRound, outOfTime, type RoundResult, releaseRound, sleep } from './quorum-round.js';

const limiters = new WeakMap<AcquireRuntime, InFlightLimiter>();
const firstConnects = new WeakMap<Redis, Promise<void>>();

/** The one limiter of a Lockstep's node requests (shared by its quorum locks and semaphores). */
export function inFlightLimiter(runtime: AcquireRuntime, max: number): InFlightLimiter {
  let limiter = limiters.get(runtime);
  if (!limiter) {
    limiter = new InFlightLimiter(max);
    limiters.set(runtime, limiter);
  }
  return limiter;
}

/**
 * Resolves once a client that is still making its first connection is ready (bounded by
 * `timeoutMs`), so a node timeout of a few ms is not spent on a TCP handshake at start-up. A client
 * that was ready before, or is reconnecting to a dead server, is not waited for.
 */
export function firstConnect(client: Redis, timeoutMs: number): Promise<void> | undefined {
  const known = firstConnects.get(client);
  if (known) return known;
  const status = client.status;
  if (status === 'ready' || status === 'reconnecting' || status === 'end' || status === 'close') return undefined;
  // A `lazyConnect` client connects on its first command; waiting for it to be ready without
  // sending one would wait the whole timeout. Start the connection (errors arrive as 'error').
  if (status === 'wait') client.connect().catch(() => undefined);
  const ready = new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
    client.once('error', done);
  });
  firstConnects.set(client, ready);
  return ready;
}

/**
 * A Redlock-style lock over independent servers. It promises non-overlapping windows while no node
 * of the winning majority loses the key early; it has no monotonic fence (`lease.fence` is
 * `undefined`). Waiters retry with a jittered delay (no push wake-ups: a grant would have to be
 * announced by a majority of independent servers, and the retry delay already bounds the hand-off).
 */
export class QuorumLockEngine implements LockEngine {
  readonly #key: string;
  readonly #quorum: number;
  readonly #nodeTimeoutMs: number;
  readonly #limiter: InFlightLimiter;

  constructor(
    readonly name: string,
    prefix: string,
    private readonly options: Filled<LockOptions>,
    private readonly clients: readonly Redis[],
    private readonly quorumOptions: Filled<QuorumOptions>,
    private readonly runtime: AcquireRuntime,
  ) {
    this.#key = `{${prefix}:q:${encodeName(name)}}`;
    this.#quorum = Math.floor(clients.length / 2) + 1;
    // A node may use at most a tenth of the TTL, so slow nodes cannot eat the validity window.
    this.#nodeTimeoutMs = Math.max(1, Math.min(quorumOptions.nodeTimeoutMs, Math.floor(options.ttlMs / 10)));
    this.#limiter = inFlightLimiter(runtime, quorumOptions.maxInFlight);
  }

  #call(
    node: number,
    script: 'quorumAcquire' | 'quorumExtend' | 'quorumRelease',
    args: (string | number)[],
    timeoutMs: number,
  ) {
    const client = this.clients[node] as Redis;
    return this.#limiter.run(() =>
      bounded(runScript(client, script, [this.#key], args), `${script} on node ${node}`, Math.max(1, timeoutMs)),
    );
  }

  async acquire(request: AcquireRequest): Promise<Lease | null> {
    const rt = this.runtime;
    rt.assertOpen();
    const signal = request.signal;
    if (signal?.aborted) throw abortedError(this.name, signal);
    const deadline = monotonicNow() + request.waitMs;
    const { retryDelayMs, retryJitterMs } = this.quorumOptions;
    const connecting = this.clients.map((c) => firstConnect(c, rt.requestTimeoutMs)).filter((p) => p !== undefined);
    if (connecting.length > 0) await Promise.all(connecting);
    for (let attempts = 1; ; attempts++) {
      // A fresh token per attempt: the release that undoes a failed attempt is retried when it
      // times out, and a retry can reach a node after the next attempt's grant there (a starved
      // event loop times out a release Redis already answered). With a shared token it would delete
      // the key of the lease this call returns. Within one attempt the token stays the same, so a
      // command ioredis re-sends after a reconnect still finds its own grant (design rule 3).
      const token = newToken();
      const result = await this.#attempt(token);
      if (result.kind === 'granted') {
        const lease = new Lease({
          name: this.name,
          id: token,
          token,
          fence: undefined,
          ttlMs: this.options.ttlMs,
          validUntil: result.validUntil,
          weight: 1,
          autoExtend: request.autoExtend,
          onLost: request.onLost,
          driver: this.#driver,
          onSettle: (settled) => rt.untrack(settled),
        });
        rt.track(lease);
        return lease;
      }
      // A failed attempt is undone on every node (ordered after the acquire on each connection).
      this.#releaseAll(token).catch((err: unknown) => rt.onError(err));
      // Servers that are down fail fast; a slow moment is retried like contention while time lasts.
      if (result.kind === 'unavailable') throw new QuorumError(this.name, 'unavailable', result.nodes, attempts);
      const delay = retryDelayMs + (retryJitterMs > 0 ? randomInt(0, retryJitterMs + 1) : 0);
      if (request.waitMs === 0 || monotonicNow() + delay >= deadline) {
        return outOfTime(this.name, result, attempts, request);
      }
      await sleep(delay, signal);
      if (signal?.aborted) throw abortedError(this.name, signal);
    }
  }

  // Asks every node at once and decides as soon as the outcome is certain.
  #attempt(token: string): Promise<RoundResult> {
    const ttl = this.options.ttlMs;
    return acquireRound({
      clients: this.clients,
      quorum: this.#quorum,
      ttlMs: ttl,
      drift: (ms) => this.runtime.drift(ms),
      call: (i) => this.#call(i, 'quorumAcquire', [token, ttl], this.#nodeTimeoutMs),
      granted: (_, reply) => (reply as number[])[0] === STATUS.granted,
    });
  }

  #releaseAll(token: string): Promise<number> {
    const timeout = Math.max(this.#nodeTimeoutMs * 2, 50);
    return releaseRound(this.clients.length, this.quorumOptions.releaseRetries, (i) =>
      this.#call(i, 'quorumRelease', [token], timeout),
    );
  }

  readonly #driver: LeaseDriver = {
    drift: (ttl) => this.runtime.drift(ttl),
    onError: (err) => this.runtime.onError(err),
    extend: async (_id, token, ttlMs, validUntil): Promise<ExtendOutcome> => {
      // Only answers that arrive inside the current validity window count.
      const window = validUntil === undefined ? this.#nodeTimeoutMs : validUntil - monotonicNow();
      const timeout = Math.min(this.#nodeTimeoutMs, window);
      if (timeout <= 0) return 'no-quorum';
      return await extendRound(this.name, this.clients.length, this.#quorum, (i) =>
        this.#call(i, 'quorumExtend', [token, ttlMs], timeout),
      );
    },
    release: async (_id, token) => (await this.#releaseAll(token)) >= this.#quorum,
  };

  adopt(handle: unknown, options?: AdoptOptions): Promise<Lease> {
    const ttlMs = this.options.ttlMs;
    const target = { name: this.name, kind: 'lock', ttlMs, fenced: false, driver: this.#driver } as const;
    return adoptLease({ ...target, runtime: this.runtime }, handle, options);
  }

  async inspect(): Promise<LockState> {
    const settled = await Promise.allSettled(
      this.clients.map((client) =>
        bounded(client.pttl(this.#key), `inspecting "${this.name}"`, this.runtime.requestTimeoutMs),
      ),
    );
    const ttls = settled
      .map((r) => (r.status === 'fulfilled' ? Number(r.value) : -2))
      .filter((t) => t > 0)
      .sort((a, b) => b - a);
    const held = ttls.length >= this.#quorum;
    return {
      held,
      fence: undefined,
      expiresInMs: held ? (ttls[this.#quorum - 1] as number) : 0,
      waiting: 0,
      waiters: [],
    };
  }
}
