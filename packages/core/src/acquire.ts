// The acquisition loop shared by locks and semaphores: one attempt, then push-based waiting with
// heartbeats, a re-check bounded by the holders' remaining TTL, and clean give-up on timeout/abort.
import { randomInt } from 'node:crypto';
import { monotonicNow } from './clock.js';
import { AcquireTimeoutError, LockstepError, QueueFullError, RedisUnavailableError } from './errors.js';
import type { HeartbeatBatcher } from './heartbeats.js';
import { newRequestId, newToken } from './ids.js';
import { Lease, type LeaseDriver, type LostCallback } from './lease.js';
import { abortedError, bounded } from './request.js';
import type { WaitHub } from './wait-hub.js';

/** What one attempt (the acquire script) answered. */
export type AttemptReply =
  | { readonly kind: 'granted'; readonly fence: number; readonly remainingMs: number }
  | { readonly kind: 'queued'; readonly recheckInMs: number; readonly serverNow: number }
  | { readonly kind: 'busy'; readonly recheckInMs: number }
  | { readonly kind: 'full' }
  | { readonly kind: 'too-heavy'; readonly limit: number }
  /** The fast first attempt changed nothing: the full attempt follows at once. */
  | { readonly kind: 'contended' };

/** A grant (or rejection) pushed to a waiter by another process's release. */
export type PushedReply =
  | {
      readonly kind: 'granted';
      readonly fence: number;
      /** End of the grant on the server's clock: of the claim when `claimMs` is below the TTL. */
      readonly deadline: number;
      /** Length of the claim, ms (the TTL or more: a plain grant). */
      readonly claimMs: number;
    }
  | { readonly kind: 'rejected'; readonly limit: number };

/** A lock or semaphore, as the acquisition loop sees it. */
export interface Contender {
  readonly name: string;
  readonly channel: string;
  readonly ttlMs: number;
  readonly weight: number;
  readonly maxWaiters: number;
  readonly waiterTtlMs: number;
  /**
   * Runs the acquire script once. With `first`, it may run a cheaper script made for the
   * uncontended case instead, which answers `contended` (having changed nothing) when it cannot
   * decide; the loop then runs the full attempt, one script per attempt, so a cleanup after an
   * abort is always sent after every script of the acquisition.
   */
  attempt(id: string, token: string, wait: boolean, first?: boolean): Promise<AttemptReply>;
  /** Gives up whatever `id` has: a grant (passed on) or a queue place. */
  giveUp(id: string, token: string): Promise<number>;
  /** Parses a grant message addressed to a waiter. */
  parse(message: string): PushedReply;
  /** Extends and releases the leases it grants. */
  readonly driver: LeaseDriver;
  /** Refreshes many queued waiters of this name at once; resolves with those no longer queued. */
  heartbeat(ids: readonly string[]): Promise<string[]>;
  /** A semaphore's limit, for grant statistics (undefined for locks). */
  readonly limit?: number;
  /** A semaphore's named priority classes, for grant statistics. */
  readonly classes?: ReadonlyMap<string, number>;
}

/** Shared services of the owning Lockstep. */
export interface AcquireRuntime {
  readonly requestTimeoutMs: number;
  drift(ttlMs: number): number;
  hub(): WaitHub;
  /** Batches the heartbeats of this process's queued waiters. */
  heartbeats(): HeartbeatBatcher;
  assertOpen(): void;
  onError(error: unknown): void;
  /** Remembers a live lease (so `close()` can stop its timers). */
  track(lease: Lease): void;
  /** Forgets a lease that was released or lost. */
  untrack(lease: Lease): void;
  /** Told of every grant (for grant statistics); `waitedMs` from the acquisition's start. */
  granted(c: Contender, waitedMs: number): void;
}

/** Options of one acquisition, already validated. */
export interface AcquireRequest {
  readonly waitMs: number;
  readonly signal: AbortSignal | undefined;
  readonly autoExtend: boolean;
  readonly onLost: LostCallback | undefined;
  /** When true, a busy result resolves `null` instead of throwing (tryAcquire). */
  readonly orNull: boolean;
  /** Told once when the acquisition is first queued behind others (diagnostics). */
  readonly onQueued?: () => void;
}

const RETRY_BACKOFF_MS = [10, 25, 50, 100, 250, 500];
/** An attempt near the end of a wait still gets this long for its reply. */
const MIN_ATTEMPT_MS = 100;
/** A pushed claim with less of its window left than this is confirmed by an attempt instead. */
const MIN_CLAIM_LEFT_MS = 150;

/**
 * Acquires `contender` for `request`. Returns a Lease, or null for a busy `orNull` request.
 * Never returns a lease whose validity already ended.
 */
export async function acquire(c: Contender, rt: AcquireRuntime, request: AcquireRequest): Promise<Lease | null> {
  rt.assertOpen();
  const signal = request.signal;
  if (signal?.aborted) throw abortedError(c.name, signal);
  const id = newRequestId();
  const token = newToken();
  const deadline = monotonicNow() + request.waitMs;
  const wait = request.waitMs > 0;
  const attemptTimeout = Math.min(rt.requestTimeoutMs, c.ttlMs);
  const abortable = signal ? { signal, resource: c.name } : undefined;
  const waiter = new Waiter();
  let lastQueued: { sent: number; serverNow: number } | undefined;
  let failures = 0;
  let confirmed = false;
  let beating = false;
  // Set once the wait ran out while queued: one last attempt tells a grant whose message was lost,
  // contention (ERR_ACQUIRE_TIMEOUT) and an outage that began while we slept (ERR_REDIS) apart.
  let lastTry = false;
  // True while a request of ours may hold a grant or a queue place that is not ours to keep yet.
  let mayHold = false;
  // How long the last subscription attempt could take: the wait left, at most `requestTimeoutMs`.
  let subscribeMs = 0;

  const lease = (fence: number, validUntil: number, claim = false): Lease => {
    mayHold = false;
    const result = new Lease({
      name: c.name,
      id,
      token,
      fence,
      ttlMs: c.ttlMs,
      validUntil,
      weight: c.weight,
      claim,
      autoExtend: request.autoExtend,
      onLost: request.onLost,
      driver: c.driver,
      onSettle: (settled) => rt.untrack(settled),
    });
    rt.track(result);
    rt.granted(c, monotonicNow() - deadline + request.waitMs);
    return result;
  };

  // Hands back a grant whose window passed before we could use it (a stalled event loop or a
  // reply that came too late): the same connection runs it before our next attempt.
  const handBack = () => {
    bounded(c.giveUp(id, token), `handing back a late grant of "${c.name}"`, rt.requestTimeoutMs).catch(
      (err: unknown) => rt.onError(err),
    );
    lastQueued = undefined;
  };

  const onMessage = (message: string | null) => waiter.push(message);
  const hub = wait ? rt.hub() : undefined;
  // A waiter on a name that already has a subscription registers before its first request, so a
  // grant published before the request's reply is read still reaches it.
  let watching = hub?.preRegister(c.channel, id, onMessage) ?? false;
  // The first attempt may try the contender's uncontended fast path, unless a waiter of this
  // process is already queued on the name (then the name is contended: one round trip, not two).
  let fast = !watching;
  // Set when the fast path answered `contended`: the full attempt is sent even if the wait ran out.
  let fullNow = false;

  try {
    for (;;) {
      const pushed = waiter.take();
      if (pushed !== undefined && lastQueued) {
        const reply = c.parse(pushed);
        if (reply.kind === 'rejected') throw weightError(c, reply.limit);
        // A pushed grant is a claim that ends at `deadline` (server clock). The lease starts with the
        // claim's window and turns it into the full TTL with its first extension, due within a third
        // of the window, and only if it is still held then: a short hold costs no extra call. A
        // waiter that died never extends, so the claim passes on (see CLAIM_MS in the scripts).
        const validUntil = lastQueued.sent + (reply.deadline - lastQueued.serverNow) - rt.drift(c.ttlMs);
        const claim = reply.claimMs > 0 && reply.claimMs < c.ttlMs;
        if (validUntil - monotonicNow() > (claim ? MIN_CLAIM_LEFT_MS : 0)) return lease(reply.fence, validUntil, claim);
        // Too little of the window is left to extend it safely: the attempt below finds our grant
        // (if it is still there) and turns it into the full lease at once.
      }
      if (monotonicNow() >= deadline && lastQueued === undefined && failures === 0 && wait && !fullNow) {
        throw new AcquireTimeoutError(c.name, request.waitMs);
      }

      const sent = monotonicNow();
      let reply: AttemptReply;
      mayHold = true;
      try {
        // A wait ends on time even when Redis stalls: the attempt gets what is left of it.
        const timeout = wait ? Math.min(attemptTimeout, Math.max(deadline - sent, MIN_ATTEMPT_MS)) : attemptTimeout;
        const first = fast;
        fast = false;
        fullNow = false;
        reply = await bounded(c.attempt(id, token, wait, first), `acquiring "${c.name}"`, timeout, abortable);
        failures = 0;
      } catch (err) {
        if (err instanceof LockstepError && err.code === 'ERR_ABORTED') throw err;
        failures++;
        // Infrastructure failure is reported as such when time runs out, never as contention.
        if (!wait || monotonicNow() >= deadline) throw err;
        rt.onError(err);
        const backoff = RETRY_BACKOFF_MS[Math.min(failures - 1, RETRY_BACKOFF_MS.length - 1)] as number;
        await waiter.wait(Math.min(backoff, deadline - monotonicNow()), signal);
        if (signal?.aborted) throw abortedError(c.name, signal);
        continue;
      }

      switch (reply.kind) {
        case 'granted': {
          const validUntil = sent + reply.remainingMs - rt.drift(c.ttlMs);
          if (validUntil > monotonicNow()) return lease(reply.fence, validUntil);
          handBack();
          if (!wait || monotonicNow() >= deadline) {
            throw new RedisUnavailableError(`Reply for "${c.name}" came after the lease's validity ended`, false);
          }
          continue;
        }
        case 'busy':
          mayHold = false;
          if (request.orNull) return null;
          throw new AcquireTimeoutError(c.name, request.waitMs);
        case 'full':
          mayHold = lastQueued !== undefined;
          throw new QueueFullError(c.name, c.maxWaiters);
        case 'too-heavy':
          mayHold = lastQueued !== undefined;
          throw weightError(c, reply.limit);
        case 'contended':
          mayHold = false;
          fullNow = true;
          continue;
        case 'queued':
          if (lastTry) throw new AcquireTimeoutError(c.name, request.waitMs);
          break;
      }

      lastQueued = { sent, serverNow: reply.serverNow };
      if (!beating) {
        // From now on the batcher keeps our queue place alive; it pokes us if we lose it.
        rt.heartbeats().add(c, id, () => waiter.push(null));
        beating = true;
        request.onQueued?.();
      }
      if (!confirmed) {
        try {
          watching = true;
          // Bounded like any Redis call: a subscription that cannot be made must not outlast the wait.
          subscribeMs = Math.min(rt.requestTimeoutMs, Math.max(deadline - monotonicNow(), MIN_ATTEMPT_MS));
          const { fresh } = await bounded(
            (hub as WaitHub).watch(c.channel, id, onMessage),
            `subscribing for "${c.name}"`,
            subscribeMs,
            abortable,
          );
          confirmed = true;
          // A grant published before the subscription was active would be lost: check once more.
          if (fresh) continue;
        } catch (err) {
          if (err instanceof LockstepError && err.code === 'ERR_ABORTED') throw err;
          // No push channel right now: the timers below still bound the wait.
          hub?.unwatch(c.channel, id);
          watching = false;
          rt.assertOpen();
          // Cut short by the caller's own wait, not by `requestTimeoutMs`: no sign of an outage. The
          // last attempt below still reports a Redis that is really down, as ERR_REDIS.
          const cutByWait = subscribeMs < rt.requestTimeoutMs && monotonicNow() >= deadline;
          if (!cutByWait) rt.onError(err);
        }
      }
      if (waiter.pending) continue;

      const now = monotonicNow();
      if (now >= deadline) {
        lastTry = true;
        continue;
      }
      // Sleep until a grant is pushed, or the earliest holder's lease ends (it may have died), or
      // the wait ends. A missed message costs at most that one lease.
      let sleepMs = deadline - now;
      if (reply.recheckInMs >= 0) sleepMs = Math.min(sleepMs, reply.recheckInMs + randomInt(1, 6));
      else sleepMs = Math.min(sleepMs, Math.floor(c.waiterTtlMs / 3));
      await waiter.wait(sleepMs, signal);
      if (signal?.aborted) throw abortedError(c.name, signal);
      rt.assertOpen();
      if (!waiter.pending && monotonicNow() >= deadline) lastTry = true;
    }
  } finally {
    if (beating) rt.heartbeats().remove(c.channel, id);
    if (watching) hub?.unwatch(c.channel, id);
    waiter.dispose();
    // Timeout, abort or error: give back whatever a request of ours may hold (a grant is passed on).
    if (mayHold) {
      // Nothing was granted to the caller: word a failure as the cleanup it is, not as a release.
      bounded(c.giveUp(id, token), `cleaning up a failed attempt on "${c.name}"`, rt.requestTimeoutMs).catch(
        (err: unknown) => rt.onError(err),
      );
    }
  }
}

function weightError(c: Contender, limit: number): LockstepError {
  return new LockstepError(
    'ERR_WEIGHT_EXCEEDS_LIMIT',
    `Weight ${c.weight} exceeds the limit ${limit} now in effect for "${c.name}"`,
  );
}

/** Holds a pushed message and wakes the loop for it. */
class Waiter {
  #pending: string | null | undefined;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** A grant message, or `null` for "re-check now". A real message is never overwritten by null. */
  push(message: string | null): void {
    if (message !== null || this.#pending === undefined) this.#pending = message;
    this.#wake?.();
  }

  /** The message received, if any (undefined when none, or when only a re-check was requested). */
  take(): string | undefined {
    const message = this.#pending;
    this.#pending = undefined;
    return message ?? undefined;
  }

  wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#pending !== undefined || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#wake = undefined;
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#wake = done;
      this.#timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  dispose(): void {
    this.#wake?.();
  }
}
