// The acquisition loop shared by locks and semaphores: one attempt, then push-based waiting with
// heartbeats, a re-check bounded by the holders' remaining TTL, and clean give-up on timeout/abort.
import {
  AcquireTimeoutError,
  isRedisRefusal,
  LockstepError,
  QueueFullError,
  RedisUnavailableError,
} from '../errors.js';
import { Lease } from '../lease/lease.js';
import { refusedBeforeRunning } from '../redis/refusal.js';
import { abortedError, bounded } from '../redis/request.js';
import { monotonicNow } from '../util/clock.js';
import { newToken } from '../util/ids.js';
import { recheckDelayMs, retryDelayMs } from './backoff.js';
import type { AcquireRequest, AcquireRuntime, AttemptReply, Contender } from './contender.js';
import type { WaitHub } from './wait-hub.js';
import { Waiter } from './waiter.js';

/** An attempt near the end of a wait still gets this long for its reply. */
const MIN_ATTEMPT_MS = 100;
/** A pushed claim with less of its window left than this is confirmed by an attempt instead. */
const MIN_CLAIM_LEFT_MS = 150;
/**
 * A granted reply must leave at least this much of the window (or a quarter of a shorter TTL) to
 * become a lease: a reply that crawled in at the very end of its window (a failover, a stalled
 * loop) would hand the caller a lease already over by the time its code runs. It is handed back.
 */
const MIN_GRANT_LEFT_MS = 25;

function minGrantLeftMs(ttlMs: number): number {
  return Math.min(MIN_GRANT_LEFT_MS, ttlMs / 4);
}

/** "Go round the loop again": the attempt failed and was backed off, or its grant came too late. */
const AGAIN = Symbol('again');

type Queued = Extract<AttemptReply, { kind: 'queued' }>;

/**
 * Acquires `contender` for `request`. Returns a Lease, or null for a busy `orNull` request.
 * Never returns a lease whose validity already ended.
 */
export function acquire(c: Contender, rt: AcquireRuntime, request: AcquireRequest): Promise<Lease | null> {
  // Not async: the acquisition's own promise is returned as is, one microtask sooner.
  try {
    rt.assertOpen();
    const signal = request.signal;
    if (signal?.aborted) throw abortedError(c.name, signal);
    return new Acquisition(c, rt, request).run();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** One acquisition in progress: its request id and token, its wait, and what it may hold. */
export class Acquisition {
  readonly #c: Contender;
  readonly #rt: AcquireRuntime;
  readonly #request: AcquireRequest;
  readonly #id: string;
  readonly #token = newToken();
  readonly #deadline: number;
  /** False for a single try (`waitMs: 0`): it never queues, subscribes or retries. */
  readonly #wait: boolean;
  readonly #attemptTimeout: number;
  readonly #abortable: { readonly signal: AbortSignal; readonly resource: string } | undefined;
  readonly #waiter = new Waiter();
  readonly #hub: WaitHub | undefined;
  readonly #onMessage = (message: string | null) => this.#waiter.push(message);
  #lastQueued: { sent: number; serverNow: number } | undefined;
  #failures = 0;
  #confirmed = false;
  #beating = false;
  #watching: boolean;
  // Set once the wait ran out while queued: one last attempt tells a grant whose message was lost,
  // contention (ERR_ACQUIRE_TIMEOUT) and an outage that began while we slept (ERR_REDIS) apart.
  #lastTry = false;
  // True while a request of ours may hold a grant or a queue place that is not ours to keep yet.
  #mayHold = false;
  // How long the last subscription attempt could take: the wait left, at most `requestTimeoutMs`.
  #subscribeMs = 0;
  // The first attempt may try the contender's uncontended fast path, unless a waiter of this
  // process is already queued on the name (then the name is contended: one round trip, not two).
  #fast: boolean;
  // Set when the fast path answered `contended`: the full attempt is sent even if the wait ran out.
  #fullNow = false;

  constructor(c: Contender, rt: AcquireRuntime, request: AcquireRequest) {
    this.#c = c;
    this.#rt = rt;
    this.#request = request;
    this.#id = rt.newId();
    this.#deadline = monotonicNow() + request.waitMs;
    this.#wait = request.waitMs > 0;
    this.#attemptTimeout = Math.min(rt.requestTimeoutMs, c.ttlMs);
    this.#abortable = request.signal ? { signal: request.signal, resource: c.name } : undefined;
    this.#hub = this.#wait ? rt.hub() : undefined;
    // A waiter on a name that already has a subscription registers before its first request, so a
    // grant published before the request's reply is read still reaches it.
    this.#watching = this.#hub?.preRegister(c.channel, this.#id, this.#onMessage) ?? false;
    this.#fast = !this.#watching;
  }

  /** Runs the loop to a lease, `null` (a busy `orNull` request) or an error; always cleans up. */
  async run(): Promise<Lease | null> {
    try {
      for (;;) {
        const pushed = this.#pushedGrant();
        if (pushed) return pushed;
        this.#assertTimeLeft();
        const sent = monotonicNow();
        const reply = await this.#attempt(sent);
        if (reply === AGAIN) continue;
        if (reply.kind !== 'queued') {
          const done = this.#settle(sent, reply);
          if (done === AGAIN) continue;
          return done;
        }
        this.#enqueue(sent, reply);
        if (await this.#subscribe()) continue;
        await this.#sleep(reply.recheckInMs);
      }
    } finally {
      this.#cleanUp();
    }
  }

  #lease(fence: number, validUntil: number, claim = false): Lease {
    const c = this.#c;
    const rt = this.#rt;
    const request = this.#request;
    this.#mayHold = false;
    const result = new Lease({
      name: c.name,
      id: this.#id,
      token: this.#token,
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
    rt.granted(c, monotonicNow() - this.#deadline + request.waitMs);
    return result;
  }

  // A grant pushed by another process's release, if one came and enough of its window is left.
  #pushedGrant(): Lease | undefined {
    const pushed = this.#waiter.take();
    const lastQueued = this.#lastQueued;
    if (pushed === undefined || !lastQueued) return undefined;
    const c = this.#c;
    const rt = this.#rt;
    const reply = c.parse(pushed);
    if (reply.kind === 'rejected') throw weightError(c, reply.limit);
    // A pushed grant is a claim that ends at `deadline` (server clock). The lease starts with the
    // claim's window and turns it into the full TTL with its first extension, due within a third
    // of the window, and only if it is still held then: a short hold costs no extra call. A
    // waiter that died never extends, so the claim passes on (see CLAIM_MS in the scripts).
    const validUntil = lastQueued.sent + (reply.deadline - lastQueued.serverNow) - rt.drift(c.ttlMs);
    const claim = reply.claimMs > 0 && reply.claimMs < c.ttlMs;
    if (validUntil - monotonicNow() > (claim ? MIN_CLAIM_LEFT_MS : minGrantLeftMs(c.ttlMs)))
      return this.#lease(reply.fence, validUntil, claim);
    // Too little of the window is left to extend it safely: the attempt that follows finds our
    // grant (if it is still there) and turns it into the full lease at once.
    return undefined;
  }

  #assertTimeLeft(): void {
    const timeUp = monotonicNow() >= this.#deadline && this.#lastQueued === undefined && this.#failures === 0;
    if (timeUp && this.#wait && !this.#fullNow) {
      throw new AcquireTimeoutError(this.#c.name, this.#request.waitMs);
    }
  }

  // Runs the acquire script once; after a failure that leaves time to retry, backs off and says AGAIN.
  async #attempt(sent: number): Promise<AttemptReply | typeof AGAIN> {
    const c = this.#c;
    const rt = this.#rt;
    const deadline = this.#deadline;
    this.#mayHold = true;
    const first = this.#fast;
    this.#fast = false;
    this.#fullNow = false;
    try {
      // A wait ends on time even when Redis stalls: the attempt gets what is left of it.
      const timeout = this.#wait
        ? Math.min(this.#attemptTimeout, Math.max(deadline - sent, MIN_ATTEMPT_MS))
        : this.#attemptTimeout;
      const reply = await bounded(
        c.attempt(this.#id, this.#token, this.#wait, first),
        `acquiring "${c.name}"`,
        timeout,
        this.#abortable,
      );
      this.#failures = 0;
      return reply;
    } catch (err) {
      if (err instanceof LockstepError && err.code === 'ERR_ABORTED') throw err;
      this.#failures++;
      // Infrastructure failure is reported as such when time runs out, never as contention. A
      // refusal of the user (an ACL rule missing) is configuration: no retry can fix it.
      if (isRedisRefusal(err)) {
        // Refused up front on the first try: nothing of ours is in Redis, and the cleanup would be refused too.
        if (refusedBeforeRunning(err) && this.#failures === 1 && !this.#lastQueued) this.#mayHold = false;
        throw rt.explain(err);
      }
      if (!this.#wait || monotonicNow() >= deadline) throw rt.explain(err);
      rt.onError(err);
      await this.#waiter.wait(Math.min(retryDelayMs(this.#failures), deadline - monotonicNow()), this.#request.signal);
      this.#assertNotAborted();
      return AGAIN;
    }
  }

  // Every reply but "queued": a lease, null (busy try), an error, or AGAIN for a grant that came too late.
  #settle(sent: number, reply: Exclude<AttemptReply, Queued>): Lease | null | typeof AGAIN {
    const c = this.#c;
    const rt = this.#rt;
    const request = this.#request;
    switch (reply.kind) {
      case 'granted': {
        const validUntil = sent + reply.remainingMs - rt.drift(c.ttlMs);
        if (validUntil - monotonicNow() > minGrantLeftMs(c.ttlMs)) return this.#lease(reply.fence, validUntil);
        this.#handBack();
        if (!this.#wait || monotonicNow() >= this.#deadline) {
          throw new RedisUnavailableError(`Reply for "${c.name}" came too late: its lease was (nearly) over`, false);
        }
        return AGAIN;
      }
      case 'busy':
        this.#mayHold = false;
        if (request.orNull) return null;
        throw new AcquireTimeoutError(c.name, request.waitMs);
      case 'full':
        this.#mayHold = this.#lastQueued !== undefined;
        throw new QueueFullError(c.name, c.maxWaiters);
      case 'too-heavy':
        this.#mayHold = this.#lastQueued !== undefined;
        throw weightError(c, reply.limit);
      case 'contended':
        this.#mayHold = false;
        this.#fullNow = true;
        return AGAIN;
    }
  }

  // Hands back a grant whose window passed before we could use it (a stalled event loop or a
  // reply that came too late): the same connection runs it before our next attempt.
  #handBack(): void {
    const c = this.#c;
    const rt = this.#rt;
    bounded(c.giveUp(this.#id, this.#token), `handing back a late grant of "${c.name}"`, rt.requestTimeoutMs).catch(
      (err: unknown) => rt.onError(err),
    );
    this.#lastQueued = undefined;
  }

  // Queued: remembers when (for pushed grants' windows) and starts the heartbeats once.
  #enqueue(sent: number, reply: Queued): void {
    const c = this.#c;
    const rt = this.#rt;
    const request = this.#request;
    if (this.#lastTry) throw new AcquireTimeoutError(c.name, request.waitMs);
    this.#lastQueued = { sent, serverNow: reply.serverNow };
    if (this.#beating) return;
    // From now on the batcher keeps our queue place alive; it pokes us if we lose it.
    rt.heartbeats().add(c, this.#id, () => this.#waiter.push(null));
    this.#beating = true;
    request.onQueued?.();
  }

  // Subscribes to pushed grants once; true when the subscription is new and the loop must check again.
  async #subscribe(): Promise<boolean> {
    if (this.#confirmed) return false;
    const c = this.#c;
    const rt = this.#rt;
    const hub = this.#hub;
    try {
      this.#watching = true;
      // Bounded like any Redis call: a subscription that cannot be made must not outlast the wait.
      this.#subscribeMs = Math.min(rt.requestTimeoutMs, Math.max(this.#deadline - monotonicNow(), MIN_ATTEMPT_MS));
      const { fresh } = await bounded(
        (hub as WaitHub).watch(c.channel, this.#id, this.#onMessage),
        `subscribing for "${c.name}"`,
        this.#subscribeMs,
        this.#abortable,
      );
      this.#confirmed = true;
      // A grant published before the subscription was active would be lost: check once more.
      return fresh;
    } catch (err) {
      if (err instanceof LockstepError && err.code === 'ERR_ABORTED') throw err;
      // No push channel right now: the timers below still bound the wait.
      hub?.unwatch(c.channel, this.#id);
      this.#watching = false;
      rt.assertOpen();
      // Refused (no SSUBSCRIBE, or no rule for the channel): the grants announced to this waiter
      // would be refused too. Configuration, not an outage: fail now rather than poll.
      if (isRedisRefusal(err)) throw rt.explain(err);
      // Cut short by the caller's own wait, not by `requestTimeoutMs`: no sign of an outage. The
      // last attempt still reports a Redis that is really down, as ERR_REDIS.
      const cutByWait = this.#subscribeMs < rt.requestTimeoutMs && monotonicNow() >= this.#deadline;
      if (!cutByWait) rt.onError(err);
      return false;
    }
  }

  // Sleeps until a grant is pushed, or the earliest holder's lease ends (it may have died), or the
  // wait ends. A missed message costs at most that one lease. Returns at once when news is pending.
  // A subscribed waiter leaves the re-check at the holder's deadline to the hub, which pokes one
  // waiter of the name for all of them; it is also poked when the subscriber reconnects and when
  // the heartbeats find it no longer queued (a grant whose message was lost).
  async #sleep(recheckInMs: number): Promise<void> {
    if (this.#waiter.pending) return;
    const now = monotonicNow();
    if (now >= this.#deadline) {
      this.#lastTry = true;
      return;
    }
    const c = this.#c;
    const left = this.#deadline - now;
    const recheck = recheckDelayMs(recheckInMs, c.waiterTtlMs, left);
    let sleepMs = recheck;
    if (this.#confirmed && this.#watching && this.#hub) {
      this.#hub.recheckIn(c.channel, recheck, Math.floor(c.waiterTtlMs / 3));
      sleepMs = left;
    }
    await this.#waiter.wait(sleepMs, this.#request.signal);
    this.#assertNotAborted();
    this.#rt.assertOpen();
    if (!this.#waiter.pending && monotonicNow() >= this.#deadline) this.#lastTry = true;
  }

  #assertNotAborted(): void {
    const signal = this.#request.signal;
    if (signal?.aborted) throw abortedError(this.#c.name, signal);
  }

  // Timeout, abort or error: stops heartbeats and pushes, and gives back whatever a request of ours
  // may hold (a grant is passed on).
  #cleanUp(): void {
    const c = this.#c;
    const rt = this.#rt;
    if (this.#beating) rt.heartbeats().remove(c.channel, this.#id);
    if (this.#watching) this.#hub?.unwatch(c.channel, this.#id);
    this.#waiter.dispose();
    if (this.#mayHold) {
      // Nothing was granted to the caller: word a failure as the cleanup it is, not as a release.
      bounded(
        c.giveUp(this.#id, this.#token),
        `cleaning up a failed attempt on "${c.name}"`,
        rt.requestTimeoutMs,
      ).catch((err: unknown) => rt.onError(err));
    }
  }
}

function weightError(c: Contender, limit: number): LockstepError {
  return new LockstepError(
    'ERR_WEIGHT_EXCEEDS_LIMIT',
    `Weight ${c.weight} exceeds the limit ${limit} now in effect for "${c.name}"`,
  );
}
