// One coarse timer for every request deadline of the process: Redis calls are bounded in time
// without a setTimeout/clearTimeout pair on every call.
import { monotonicNow } from '../util/clock.js';

/** How often deadlines are checked; a deadline fires at most this late. */
export const DEADLINE_TICK_MS = 5;

/** A pending deadline; pass it to {@link cancelDeadline} once the work finished. */
export interface Deadline {
  readonly at: number;
  readonly fire: () => void;
  /** Watched at every tick: once it aborted, `onAbort` runs instead of `fire`. */
  readonly abort: AbortWatch | undefined;
}

/**
 * A signal a deadline also ends on, checked at each tick rather than through a listener: adding and
 * removing an 'abort' listener costs more than the whole request it would guard (about 10 µs), and
 * a request that ends before the next tick never needs it.
 */
export interface AbortWatch {
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

const pending = new Set<Deadline>();
let timer: NodeJS.Timeout | undefined;
let firing = false;

function sweep(): void {
  if (pending.size === 0) {
    // Idle for a whole tick: stop until the next deadline is set.
    clearInterval(timer);
    timer = undefined;
    return;
  }
  if (firing) return;
  const now = monotonicNow();
  for (const deadline of pending) {
    if (deadline.at <= now || deadline.abort?.signal.aborted) {
      // Timers run before the event loop reads sockets: after a stall (a busy or overloaded
      // process), a reply that already arrived would lose to its deadline and a healthy Redis would
      // be reported as down. Fire after this turn's I/O instead; a reply read meanwhile cancels.
      firing = true;
      setImmediate(fireDue);
      return;
    }
  }
}

function fireDue(): void {
  firing = false;
  const now = monotonicNow();
  for (const deadline of pending) {
    if (deadline.at <= now) {
      pending.delete(deadline);
      deadline.fire();
    } else if (deadline.abort?.signal.aborted) {
      pending.delete(deadline);
      deadline.abort.onAbort();
    }
  }
}

/**
 * Calls `fire` about `ms` from now (never early, at most one tick and one turn of the event loop
 * late) unless cancelled; or, if `abort` is given and its signal aborts first, calls its `onAbort`
 * instead, at most one tick and one turn after the abort.
 */
export function setDeadline(ms: number, fire: () => void, abort?: AbortWatch): Deadline {
  const deadline = { at: monotonicNow() + ms, fire, abort };
  pending.add(deadline);
  if (!timer) {
    timer = setInterval(sweep, DEADLINE_TICK_MS);
    timer.unref();
  }
  return deadline;
}

/** Forgets a deadline that is no longer needed. */
export function cancelDeadline(deadline: Deadline): void {
  pending.delete(deadline);
}
