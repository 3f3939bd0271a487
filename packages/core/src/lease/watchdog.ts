// The timers of one lease: the next auto-extension or the end of its window, and the guard that
// reports the loss on time while an extension is in flight.
import { monotonicNow, unrefTimer } from '../util/clock.js';

/** What the timers read from, and tell, the lease they watch. */
export interface WatchedLease {
  /** True while held (not releasing, released or lost). */
  isHeld(): boolean;
  /** End of the validity window on the monotonic clock. */
  validUntil(): number;
  /** Still a claim: the first extension is due within a third of the window. */
  isClaim(): boolean;
  /** Auto-extension is on. */
  autoExtends(): boolean;
  /** The TTL an extension asks for, ms. */
  ttlMs(): number;
  /** The window ended: the lease is lost. */
  expire(): void;
  /** An extension is due. */
  extend(): void;
}

/** One timer for what comes next (an extension or the end of the window), and one in-flight guard. */
export class Watchdog {
  readonly #lease: WatchedLease;
  #timer: NodeJS.Timeout | undefined;
  /** Fires at the end of the window while an extension is in flight (the loss is never late). */
  #guard: NodeJS.Timeout | undefined;

  constructor(lease: WatchedLease) {
    this.#lease = lease;
  }

  /** (Re)starts the timer: the next auto-extension, or the end of the window. */
  schedule(): void {
    this.cancel();
    const lease = this.#lease;
    const left = this.#windowLeft();
    if (left === undefined) return;
    if (lease.isClaim()) {
      this.#timer = unrefTimer(() => this.#extend(), Math.floor(left / 3));
    } else if (lease.autoExtends()) {
      const due = Math.max(0, left - (lease.ttlMs() * 2) / 3);
      this.#timer = unrefTimer(() => this.#extend(), due);
    } else {
      this.#timer = unrefTimer(() => this.#checkExpiry(), left);
    }
  }

  /** Stops the timer (the in-flight guard is apart: {@link Watchdog.disarm}). */
  cancel(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * While an extension is in flight the regular timer is idle: this one reports the loss at the end
   * of the window whatever the request does (re-armed if a timer fires early on the monotonic clock).
   */
  arm(): void {
    this.disarm();
    const left = this.#windowLeft();
    if (left === undefined) return;
    this.#guard = unrefTimer(() => {
      this.#guard = undefined;
      this.arm();
    }, Math.ceil(left));
  }

  /** Stops the in-flight guard. */
  disarm(): void {
    if (this.#guard) {
      clearTimeout(this.#guard);
      this.#guard = undefined;
    }
  }

  /** Stops both timers. */
  stop(): void {
    this.cancel();
    this.disarm();
  }

  // What is left of the window, ms; undefined when the lease is not held or (now lost) has none left.
  #windowLeft(): number | undefined {
    const lease = this.#lease;
    if (!lease.isHeld()) return undefined;
    const left = lease.validUntil() - monotonicNow();
    if (left > 0) return left;
    lease.expire();
    return undefined;
  }

  #extend(): void {
    this.#timer = undefined;
    this.#lease.extend();
  }

  #checkExpiry(): void {
    this.#timer = undefined;
    const lease = this.#lease;
    if (!lease.isHeld()) return;
    if (monotonicNow() >= lease.validUntil()) lease.expire();
    else this.schedule();
  }
}
