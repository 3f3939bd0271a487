// A held lock or permit: its validity window, fence, auto-extension and loss reporting.

import { type InspectOptions, inspect } from 'node:util';
import { type LeaseMessage, type LimiterKind, lostChannel } from '../diagnostics/channels.js';
import { traceExtend, traceRelease } from '../diagnostics/trace-lease.js';
import { isRedisRefusal, type LeaseLossReason, LeaseLostError } from '../errors.js';
import { monotonicNow, toEpochMs, unrefTimer } from '../util/clock.js';
import { checkInteger, MAX_TIMER_MS } from '../util/validate.js';
import type { ExtendOutcome, LeaseDriver } from './lease-driver.js';
import { Watchdog } from './watchdog.js';

/**
 * Called once when a lease is lost. What it returns is ignored, except that a promise it returns
 * is watched: errors it throws or rejects with go to `onError`. So `(error) => errors.push(error)`
 * and `(error) => logger.error(error)` fit whatever they return.
 */
export type LostCallback = (error: LeaseLostError) => unknown;

/** What a lease holds: a lock or semaphore permits. */
export type LeaseKind = LimiterKind;

/**
 * A lease exported by {@link Lease.toJSON}, to be adopted by another process with
 * `lock.adopt(handle)` or `semaphore.adopt(handle)`. It is a bearer secret: whoever has it can
 * extend and release the lease, so treat it like a password (never log it).
 */
export interface LeaseHandle {
  /** The lock or semaphore name. */
  readonly name: string;
  readonly kind: LeaseKind;
  /** The public request id the lease was granted to. */
  readonly id: string;
  /** The secret owner token. */
  readonly token: string;
  /** The fence, or `null` when there is none (quorum locks and semaphores). */
  readonly fence: number | null;
  /** Permits held (1 for locks). */
  readonly weight: number;
  /** End of the validity window when exported, epoch ms (informative: adopting asks Redis). */
  readonly expiresAt: number;
}

/** Everything needed to create a {@link Lease}. */
export interface LeaseInit {
  readonly name: string;
  /** The request id the lease was granted to. */
  readonly id: string;
  readonly token: string;
  readonly fence: number | undefined;
  readonly ttlMs: number;
  /** End of the validity window on the monotonic clock. */
  readonly validUntil: number;
  readonly weight: number;
  /**
   * True for a grant handed over from the queue: a short claim (`validUntil` ends with it) that the
   * lease turns into its TTL with an extension due within a third of the window.
   */
  readonly claim?: boolean;
  readonly autoExtend: boolean;
  readonly onLost: LostCallback | undefined;
  readonly driver: LeaseDriver;
  /** Told once when the lease is released or lost. */
  readonly onSettle?: (lease: Lease) => void;
}

/** @internal Stops a lease's timers without releasing it (used by `Lockstep.close()`). */
export const DETACH = Symbol('lockstep.detach');

/** @internal Turns auto-extension on or off (used by multi-name leases). */
export const SET_AUTO_EXTEND = Symbol('lockstep.setAutoExtend');

/** @internal Reports a background error through the owning Lockstep's `onError`. */
export const REPORT = Symbol('lockstep.report');

type State = 'held' | 'releasing' | 'released' | 'lost';

/**
 * A lock or semaphore permit held until `expiresAt` unless extended. Each acquisition returns its
 * own Lease. When the lease is lost (expired, taken or unreachable) `signal` aborts with a
 * {@link LeaseLostError} and `onLost` is called; nothing is ever thrown at the event loop.
 *
 * Supports `await using lease = await lock.acquire()`: it is released on scope exit.
 */
export class Lease implements AsyncDisposable {
  /** The lock or semaphore name. */
  readonly name: string;
  /**
   * Fencing token: strictly increases with every grant of the same name. Pass it to the resource
   * you protect and reject writes carrying a smaller one. `undefined` for quorum locks, which cannot
   * mint a monotonic fence.
   */
  readonly fence: number | undefined;
  /** Permits held (1 for locks). */
  readonly weight: number;

  readonly #id: string;
  readonly #token: string;
  #ttlMs: number;
  #validUntil: number;
  #state: State = 'held';
  #lostError: LeaseLostError | undefined;
  #controller: AbortController | undefined;
  #onLost: LostCallback | undefined;
  #autoExtend: boolean;
  /** Still a claim: the next extension (due early) turns it into the TTL. */
  #claim: boolean;
  #driver: LeaseDriver;
  /**
   * The next auto-extension or end of the window, and the guard while an extension is in flight;
   * created on first use (a lease without auto-extension, claim or loss observer never needs one).
   */
  #watchdog: Watchdog | undefined;
  #extending: Promise<void> | undefined;
  /** A `releaseAfter()` in flight: later calls and `extend()` wait for it, so its end is the one kept. */
  #releasingAfter: Promise<boolean> | undefined;
  #onSettle: ((lease: Lease) => void) | undefined;
  readonly #grantedAt = monotonicNow();
  /** Why the lease stopped extending (a refused extension): the `cause` of its expiry. */
  #ranOutBecause: unknown;

  /** @internal Leases are created by `acquire`, never directly. */
  constructor(init: LeaseInit) {
    this.name = init.name;
    this.#id = init.id;
    this.#token = init.token;
    this.fence = init.fence;
    this.weight = init.weight;
    this.#ttlMs = init.ttlMs;
    this.#validUntil = init.validUntil;
    this.#onLost = init.onLost;
    this.#autoExtend = init.autoExtend;
    this.#claim = init.claim === true;
    this.#driver = init.driver;
    this.#onSettle = init.onSettle;
    // Without auto-extension, a claim to confirm, or anyone observing the loss, no timer is needed.
    if (this.#autoExtend || this.#claim || this.#onLost) this.#timers().schedule();
  }

  #timers(): Watchdog {
    this.#watchdog ??= new Watchdog({
      isHeld: () => this.#state === 'held',
      validUntil: () => this.#validUntil,
      isClaim: () => this.#claim,
      autoExtends: () => this.#autoExtend,
      ttlMs: () => this.#ttlMs,
      expire: () => this.#lose('expired', this.#ranOutBecause),
      extend: () => this.#autoExtendNow(),
    });
    return this.#watchdog;
  }

  /**
   * The secret owner token (128 bits from `crypto`, base64url). A bearer secret: do not log it.
   * An accessor, not an own property, so `{ ...lease }`, `Object.entries(lease)` and structured
   * logging of a lease's fields leave it out; `JSON.stringify` gives it on purpose (see
   * {@link Lease.toJSON}).
   */
  get token(): string {
    return this.#token;
  }

  /** End of the validity window in epoch milliseconds (measured on the monotonic clock). */
  get expiresAt(): number {
    return toEpochMs(this.#validUntil);
  }

  /** Milliseconds of validity left (0 once expired or lost). */
  get remainingMs(): number {
    if (this.#state !== 'held' && this.#state !== 'releasing') return 0;
    return Math.max(0, this.#validUntil - monotonicNow());
  }

  /** True while the lease is inside its validity window and neither released nor lost. */
  get held(): boolean {
    if (this.#state !== 'held') return false;
    if (monotonicNow() >= this.#validUntil) {
      this.#lose('expired', this.#ranOutBecause);
      return false;
    }
    return true;
  }

  /** Aborts (with a {@link LeaseLostError} as reason) when the lease is lost. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#lostError) this.#controller.abort(this.#lostError);
      else if (this.#state === 'held') this.#timers().schedule();
    }
    if (this.#state === 'held' && monotonicNow() >= this.#validUntil) this.#lose('expired', this.#ranOutBecause);
    return this.#controller.signal;
  }

  /** The loss, once the lease was lost. */
  get lostError(): LeaseLostError | undefined {
    return this.#lostError;
  }

  /**
   * Moves the end of the validity window to `ttlMs` from now (default: the lease's TTL). Never
   * re-creates a lease that was lost.
   *
   * @param ttlMs - new validity from now, in ms
   * @throws {@link LeaseLostError} `ERR_LEASE_LOST` if it is no longer held
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be asked
   */
  async extend(ttlMs: number = this.#ttlMs): Promise<void> {
    checkInteger('ttlMs', ttlMs, 10, MAX_TIMER_MS);
    // Sent after a releaseAfter() in flight, it would push the end it set back out.
    if (this.#releasingAfter) await this.#releasingAfter.catch(() => undefined);
    if (this.#state !== 'held') {
      throw this.#lostError ?? new LeaseLostError(this.name, 'not-held');
    }
    if (!this.held) throw this.#lostError as LeaseLostError;
    const outcome = await this.#extendOnce(ttlMs, false);
    // The window ended while the extension was in flight: the loss was already reported.
    if (this.#wasLost()) throw this.#lostError as LeaseLostError;
    if (outcome !== 'extended') {
      const reason = outcome === 'no-quorum' ? 'no-quorum' : 'not-held';
      if (this.#state === 'held') this.#lose(reason);
      throw this.#lostError ?? new LeaseLostError(this.name, reason);
    }
  }

  /**
   * Gives the lease up `ms` from now by letting it expire in Redis instead of releasing it: the name
   * stays taken for `ms` even if this process exits meanwhile (ShedLock's `lockAtLeastFor`, for work
   * that must not run again before a minimum time). One extension sets the new end; the lease then
   * stops its timers and auto-extension and is settled here (`held` is false, `release()` resolves
   * false), and its expiry is not reported as a loss. Waiters get the name when it expires, at
   * their re-check of the holder's deadline, not by a pushed hand-off. Diagnostics see it on
   * `lockstep:release` with `afterMs` set (not on `lockstep:extend`). Calls on one lease are taken
   * in turn: a second `releaseAfter()` (or an `extend()`) made while one is in flight waits for it,
   * so it cannot move the end it set (the second `releaseAfter()` then resolves false).
   *
   * @param ms - how long from now the name stays taken, ms (10 to 2,147,483,647)
   * @returns true if it was held and now ends `ms` from now; false if it was no longer held (a
   * lease found taken or expired is reported lost, as by `extend()`)
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a bad `ms`, before any I/O
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be asked: the lease stays
   * as it was (held until its window ends); call `releaseAfter()` or `release()` again
   */
  async releaseAfter(ms: number): Promise<boolean> {
    checkInteger('ms', ms, 10, MAX_TIMER_MS);
    // One at a time: a second call waits for the first (false if that one settled the lease), so
    // the call that resolves true set the end Redis keeps, and a failed one restores what it found.
    while (this.#releasingAfter) await this.#releasingAfter.catch(() => undefined);
    if (!this.held) return false;
    const pending = traceRelease(
      () => this.#message(),
      () => this.#releaseAfter(ms),
      ms,
    );
    this.#releasingAfter = pending;
    try {
      return await pending;
    } finally {
      if (this.#releasingAfter === pending) this.#releasingAfter = undefined;
    }
  }

  async #releaseAfter(ms: number): Promise<boolean> {
    // No auto-extension may follow (or land after) ours and push the end back to the full TTL.
    const autoExtend = this.#autoExtend;
    this.#autoExtend = false;
    this.#watchdog?.cancel();
    let outcome: ExtendOutcome;
    try {
      await this.#extending?.catch(() => undefined);
      outcome = await this.#extendOnce(ms, false, false);
    } catch (error) {
      // Not asked: the lease stays as it was.
      this.#autoExtend = autoExtend;
      if (this.#state === 'held') this.#timers().schedule();
      throw error;
    }
    if (this.#wasLost()) return false;
    if (outcome !== 'extended') {
      if (this.#state === 'held') this.#lose(outcome === 'no-quorum' ? 'no-quorum' : 'not-held');
      return false;
    }
    if (this.#state !== 'held') return false;
    this.#state = 'released';
    this.#autoExtend = false;
    this.#watchdog?.stop();
    this.#settle();
    return true;
  }

  /**
   * Releases the lease. Resolves true if this call released it, false if it was no longer held
   * (already released, expired or taken). Stops auto-extension first.
   *
   * A release that was not answered before the window ended resolves false and reports the loss
   * (`onLost`, `signal`, reason `'expired'`): the window the caller was promised ran out while the
   * release was in flight.
   *
   * @throws {@link RedisUnavailableError} `ERR_REDIS` if Redis could not be asked: the lease stays
   * held until its window ends (no more auto-extension), then is reported lost (`onLost`, `signal`);
   * `release()` may be called again meanwhile
   */
  async release(): Promise<boolean> {
    if (this.#state === 'released') return false;
    const wasLost = this.#state === 'lost';
    this.#state = 'releasing';
    this.#watchdog?.cancel();
    try {
      const released = await traceRelease(
        () => this.#message(),
        () => this.#driver.release(this.#id, this.#token),
      );
      if (!wasLost && monotonicNow() >= this.#validUntil) {
        // The window ended before the release was answered: a loss, told like any other.
        this.#state = 'held';
        this.#lose('expired');
        return false;
      }
      this.#state = 'released';
      this.#settle();
      return released && !wasLost;
    } catch (err) {
      this.#state = wasLost ? 'lost' : 'held';
      if (!wasLost) this.#runOut();
      throw err;
    }
  }

  // After a release Redis could not be asked for, or a refused extension (`cause`): no more
  // extensions (the lease runs out with its TTL, as documented), but its loss is still reported at
  // the end of the window.
  #runOut(cause?: unknown): void {
    this.#ranOutBecause = cause;
    this.#autoExtend = false;
    this.#claim = false;
    if (this.#onLost || this.#controller) this.#timers().schedule();
  }

  /**
   * What `console.log(lease)` and `util.inspect(lease)` show: name, fence, weight, whether it is
   * held and when it ends, never the secret token (logging a lease by mistake must not leak it;
   * `JSON.stringify` still gives the full handle, see {@link Lease.toJSON}).
   */
  [inspect.custom](_depth: number, options: InspectOptions, show: typeof inspect): string {
    const held = this.#state === 'held' && monotonicNow() < this.#validUntil;
    const shown = { name: this.name, fence: this.fence, weight: this.weight, held, expiresAt: this.expiresAt };
    return `Lease ${show(shown, options)}`;
  }

  /**
   * Exports the lease so another process can adopt it (`lock.adopt(handle)`). The handle holds
   * the secret token: it is a bearer secret, treat it like a password. `JSON.stringify(lease)`
   * calls this too, so never log a lease.
   */
  toJSON(): LeaseHandle {
    return {
      name: this.name,
      kind: this.#driver.kind ?? 'lock',
      id: this.#id,
      token: this.#token,
      fence: this.fence ?? null,
      weight: this.weight,
      expiresAt: this.expiresAt,
    };
  }

  /** @internal */
  [SET_AUTO_EXTEND](on: boolean): void {
    if (this.#autoExtend === on) return;
    this.#autoExtend = on;
    if (this.#state === 'held' && !this.#extending) this.#timers().schedule();
  }

  /** @internal */
  [REPORT](error: unknown): void {
    this.#driver.onError(error);
  }

  /** @internal */
  [DETACH](): void {
    this.#watchdog?.stop();
    this.#autoExtend = false;
    this.#onLost = undefined;
  }

  #settle(): void {
    const onSettle = this.#onSettle;
    this.#onSettle = undefined;
    onSettle?.(this);
  }

  /** Releases on scope exit (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  #autoExtendNow(): void {
    if (this.#state !== 'held' || this.#extending) return;
    this.#extending = this.#extendLoop().finally(() => {
      this.#extending = undefined;
    });
  }

  // Retries a failed extension while validity remains; gives up (lost) when it runs out.
  async #extendLoop(): Promise<void> {
    let delay = Math.min(250, Math.max(10, Math.floor(this.#ttlMs / 20)));
    while (this.#state === 'held') {
      const left = this.#validUntil - monotonicNow();
      if (left <= 0) {
        this.#lose('expired');
        return;
      }
      try {
        const outcome = await this.#extendOnce(this.#ttlMs, true);
        // A refresh that lost the race to a voluntary release is not a loss.
        if (this.#state !== 'held') return;
        if (outcome !== 'extended') this.#lose(outcome === 'no-quorum' ? 'no-quorum' : 'not-held');
        return;
      } catch (err) {
        if (this.#state !== 'held') return;
        if (monotonicNow() >= this.#validUntil) {
          this.#lose('expired', err);
          return;
        }
        this.#driver.onError(err);
        // Refused (an ACL rule missing): no retry can succeed. The lease runs out at the end of
        // its window, with the refusal as the cause of the loss.
        if (isRedisRefusal(err)) {
          this.#runOut(err);
          return;
        }
      }
      const wait = Math.min(delay, Math.max(0, this.#validUntil - monotonicNow()));
      await new Promise<void>((resolve) => unrefTimer(resolve, wait));
      delay = Math.min(delay * 2, 1_000);
    }
  }

  /**
   * One extension request, for `extend()` and the auto-extension loop alike: the watchdog reports
   * the loss on time while it is in flight, a success that lands after the loss is given back, and a
   * success applies the new window. `auto` tells diagnostics who asked; a background extension that
   * lost the race to a release does not move the window.
   */
  async #extendOnce(ttlMs: number, auto: boolean, traced = true): Promise<ExtendOutcome> {
    const started = monotonicNow();
    this.#timers().arm();
    let outcome: ExtendOutcome;
    const extend = () => this.#driver.extend(this.#id, this.#token, ttlMs, this.#validUntil);
    try {
      outcome = await (traced ? traceExtend(() => this.#message(), ttlMs, auto, extend) : extend());
    } finally {
      this.#watchdog?.disarm();
    }
    // Declared lost while in flight: what Redis extended must not outlive the reported loss.
    if (this.#wasLost()) {
      if (outcome === 'extended') this.#abandonServerEntry();
      return outcome;
    }
    if (outcome === 'extended' && (!auto || this.#state === 'held')) {
      this.#ttlMs = ttlMs;
      this.#claim = false;
      this.#ranOutBecause = undefined;
      this.#validUntil = started + ttlMs - this.#driver.drift(ttlMs);
      if (this.#state === 'held') this.#timers().schedule();
    }
    return outcome;
  }

  // What diagnostics may show of this lease (never the token).
  #message(): LeaseMessage {
    return {
      name: this.name,
      kind: this.#driver.kind ?? 'lock',
      fence: this.fence,
      weight: this.weight,
      heldMs: monotonicNow() - this.#grantedAt,
    };
  }

  // A method, not an inline comparison: the state can change while an await is pending.
  #wasLost(): boolean {
    return this.#state === 'lost';
  }

  // Background compare-and-delete of a lease already reported lost.
  #abandonServerEntry(): void {
    this.#driver.release(this.#id, this.#token).then(
      () => undefined,
      (err: unknown) => this.#driver.onError(err),
    );
  }

  #lose(reason: LeaseLossReason, cause?: unknown): void {
    if (this.#state !== 'held') return;
    this.#state = 'lost';
    this.#watchdog?.stop();
    const error = new LeaseLostError(this.name, reason, cause === undefined ? {} : { cause });
    this.#lostError = error;
    this.#settle();
    if (lostChannel.hasSubscribers) lostChannel.publish({ ...this.#message(), reason });
    this.#controller?.abort(error);
    const onLost = this.#onLost;
    if (!onLost) return;
    try {
      const result = onLost(error);
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (err: unknown) => this.#driver.onError(err));
      }
    } catch (err) {
      this.#driver.onError(err);
    }
  }
}
