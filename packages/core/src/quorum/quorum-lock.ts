// Quorum (Redlock) locks over N independent Redis servers: per-attempt validity on the monotonic
// clock, early decisions, release on every node, and per-node diagnostics.
import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AcquireRequest, AcquireRuntime } from '../acquire.js';
import { type AdoptOptions, adoptLease } from '../adopt/adopt-lease.js';
import { monotonicNow } from '../clock.js';
import {
  AcquireTimeoutError,
  LockstepError,
  QuorumError,
  type QuorumNodeOutcome,
  type QuorumNodeResult,
} from '../errors.js';
import { newToken } from '../ids.js';
import { type ExtendOutcome, Lease, type LeaseDriver } from '../lease.js';
import type { LockEngine, LockState } from '../lock-engine.js';
import type { QuorumOptions } from '../lockstep-options.js';
import { encodeName } from '../names.js';
import type { LockOptions } from '../options.js';
import { abortedError, bounded } from '../request.js';
import { runScript } from '../scripts.js';
import { InFlightLimiter } from './in-flight-limiter.js';

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

/** What one attempt over all nodes came to. */
type AttemptResult =
  | { readonly kind: 'granted'; readonly validUntil: number }
  | {
      /** `slow`: no majority because connected nodes answered too late (worth retrying). */
      readonly kind: 'contention' | 'unavailable' | 'slow' | 'validity';
      readonly nodes: readonly QuorumNodeResult[];
    };

/** What a failed node request says about the node. */
export function classify(error: unknown): QuorumNodeOutcome {
  const cause = error instanceof LockstepError ? error.cause : error;
  return (cause as { name?: string } | undefined)?.name === 'ReplyError' ? 'error' : 'unreachable';
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
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
    private readonly options: Required<LockOptions>,
    private readonly clients: readonly Redis[],
    private readonly quorumOptions: Required<QuorumOptions>,
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
        // The rule (docs/errors.md): a majority answered without granting is contention (null, or
        // ERR_ACQUIRE_TIMEOUT with the per-node detail as its cause); ERR_QUORUM only when no
        // majority could answer in time.
        const kind = result.kind === 'slow' ? 'unavailable' : result.kind;
        const detail = new QuorumError(this.name, kind, result.nodes, attempts);
        if (result.kind === 'contention') {
          if (request.orNull) return null;
          throw new AcquireTimeoutError(this.name, request.waitMs, { cause: detail });
        }
        throw detail;
      }
      await sleep(delay, signal);
      if (signal?.aborted) throw abortedError(this.name, signal);
    }
  }

  // Asks every node at once and decides as soon as the outcome is certain.
  async #attempt(token: string): Promise<AttemptResult> {
    const n = this.clients.length;
    const q = this.#quorum;
    const ttl = this.options.ttlMs;
    const started = monotonicNow();
    const nodes: QuorumNodeResult[] = [];
    let granted = 0;
    let failed = 0;
    let down = 0;
    let answered = 0;
    let decisive: () => void = () => undefined;
    const decided = new Promise<void>((resolve) => {
      decisive = resolve;
    });
    const check = () => {
      answered++;
      // Certain once a majority granted, or once a majority can no longer be reached.
      if (granted >= q || granted + (n - answered) < q) decisive();
    };
    const calls = this.clients.map((_, i) =>
      this.#call(i, 'quorumAcquire', [token, ttl], this.#nodeTimeoutMs).then(
        (reply) => {
          const ok = (reply as number[])[0] === 1;
          if (ok) granted++;
          nodes[i] = { node: i, outcome: ok ? 'granted' : 'held' };
          check();
        },
        (error: unknown) => {
          failed++;
          // A client with no live connection means the server is down, not just slow.
          if ((this.clients[i] as Redis).status !== 'ready') down++;
          nodes[i] = { node: i, outcome: classify(error), error: error as Error };
          check();
        },
      ),
    );
    await decided;
    if (granted >= q) {
      // Validity counts from the start of this attempt, on the monotonic clock.
      const validUntil = started + ttl - this.runtime.drift(ttl);
      if (validUntil > monotonicNow()) return { kind: 'granted', validUntil };
      await Promise.allSettled(calls);
      return { kind: 'validity', nodes };
    }
    // Wait for the stragglers (each bounded by the node timeout) so the error names every node.
    await Promise.allSettled(calls);
    // A majority answered (granted or held) but did not grant: someone else holds it, or several
    // contenders split the nodes. That is contention, whatever the other nodes did.
    if (n - failed >= q) return { kind: 'contention', nodes };
    return { kind: down > n - q ? 'unavailable' : 'slow', nodes };
  }

  async #releaseAll(token: string): Promise<number> {
    const retries = this.quorumOptions.releaseRetries;
    const timeout = Math.max(this.#nodeTimeoutMs * 2, 50);
    const results = await Promise.allSettled(
      this.clients.map(async (_, i) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return Number(await this.#call(i, 'quorumRelease', [token], timeout));
          } catch (err) {
            if (attempt >= retries) throw err;
            await sleep(10 * 3 ** attempt, undefined);
          }
        }
      }),
    );
    return results.filter((r) => r.status === 'fulfilled' && r.value === 1).length;
  }

  readonly #driver: LeaseDriver = {
    drift: (ttl) => this.runtime.drift(ttl),
    onError: (err) => this.runtime.onError(err),
    extend: async (_id, token, ttlMs, validUntil): Promise<ExtendOutcome> => {
      const n = this.clients.length;
      const q = this.#quorum;
      // Only answers that arrive inside the current validity window count.
      const window = validUntil === undefined ? this.#nodeTimeoutMs : validUntil - monotonicNow();
      const timeout = Math.min(this.#nodeTimeoutMs, window);
      if (timeout <= 0) return 'no-quorum';
      const settled = await Promise.allSettled(
        this.clients.map((_, i) => this.#call(i, 'quorumExtend', [token, ttlMs], timeout)),
      );
      const extended = settled.filter((r) => r.status === 'fulfilled' && r.value === 1).length;
      const failed = settled.filter((r) => r.status === 'rejected').length;
      if (extended >= q) return 'extended';
      if (extended + failed < q) return 'not-held';
      const nodes = settled.map((r, i): QuorumNodeResult => {
        if (r.status === 'fulfilled') return { node: i, outcome: r.value === 1 ? 'granted' : 'held' };
        return { node: i, outcome: classify(r.reason), error: r.reason as Error };
      });
      // Too few answers to know: the caller retries while the window lasts.
      throw new QuorumError(this.name, n - failed < q ? 'unavailable' : 'contention', nodes, 1);
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
