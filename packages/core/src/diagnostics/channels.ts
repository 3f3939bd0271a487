// The diagnostics_channel names Lockstep publishes on, and the messages they carry (never a token).
import { type Channel, channel } from 'node:diagnostics_channel';

/**
 * Channel names. `acquire`, `release` and `extend` are tracing channels (subscribe with
 * `diagnostics_channel.tracingChannel(name)`: `start`, `end`, `asyncStart`, `asyncEnd`, `error`);
 * `queued` and `lost` are plain channels (`diagnostics_channel.subscribe(name, fn)`).
 */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  acquire: 'lockstep:acquire',
  queued: 'lockstep:acquire:queued',
  release: 'lockstep:release',
  extend: 'lockstep:extend',
  lost: 'lockstep:lost',
} as const);

/** What kind of limiter a message is about (a quorum lock is a `lock`). */
export type LimiterKind = 'lock' | 'semaphore';

/**
 * How an acquisition ended: `granted`; `busy` (a `tryAcquire()` that found no room); `timeout`
 * (`ERR_ACQUIRE_TIMEOUT`); `aborted` (`ERR_ABORTED`); `error` (any other error).
 */
export type AcquireOutcome = 'granted' | 'busy' | 'timeout' | 'aborted' | 'error';

/** The context object of one acquisition on `lockstep:acquire` (and `lockstep:acquire:queued`). */
export interface AcquireMessage {
  readonly name: string;
  readonly kind: LimiterKind;
  /** The caller's wait budget, ms (`0` for `tryAcquire()`). */
  readonly waitMs: number;
  /** True once the acquisition was queued behind others. */
  queued: boolean;
  /** Set when it settles: time from the call to its outcome, ms. */
  waitedMs: number | undefined;
  /** Set when it settles. */
  outcome: AcquireOutcome | undefined;
  /** Set when granted: the lease's fence (`undefined` in quorum mode). */
  fence: number | undefined;
  /** Set when granted: permits held. */
  weight: number | undefined;
  /** Set when it failed. */
  error?: unknown;
}

/** What every lease event carries. */
export interface LeaseMessage {
  readonly name: string;
  readonly kind: LimiterKind;
  readonly fence: number | undefined;
  readonly weight: number;
  /** Time since the grant, ms. */
  readonly heldMs: number;
}

/** The context object of one release on `lockstep:release`. */
export interface ReleaseMessage extends LeaseMessage {
  /**
   * Set for `lease.releaseAfter(ms)`: the lease was left to expire in Redis this many ms after the
   * call (the name stays held until then); absent for `release()`.
   */
  readonly afterMs?: number;
  /** Set when it settles: true if this call released (or, with `afterMs`, ended) a live lease. */
  released?: boolean;
  error?: unknown;
}

/** The context object of one extension on `lockstep:extend`. */
export interface ExtendMessage extends LeaseMessage {
  /** The requested window from now, ms. */
  readonly ttlMs: number;
  /** True for the background auto-extension, false for `lease.extend()`. */
  readonly auto: boolean;
  /** Set when it settles. */
  outcome?: 'extended' | 'not-held' | 'no-quorum';
  error?: unknown;
}

/** The message on `lockstep:lost`. */
export interface LostMessage extends LeaseMessage {
  readonly reason: 'expired' | 'not-held' | 'no-quorum';
}

/** The five channels of a tracing channel, made by name as Node's `tracingChannel()` names them. */
export interface Tracing {
  readonly start: Channel;
  readonly end: Channel;
  readonly asyncStart: Channel;
  readonly asyncEnd: Channel;
  readonly error: Channel;
}

function tracing(name: string): Tracing {
  const at = (event: string) => channel(`tracing:${name}:${event}`);
  return {
    start: at('start'),
    end: at('end'),
    asyncStart: at('asyncStart'),
    asyncEnd: at('asyncEnd'),
    error: at('error'),
  };
}

export const acquireTracing = tracing(DIAGNOSTICS_CHANNELS.acquire);
export const releaseTracing = tracing(DIAGNOSTICS_CHANNELS.release);
export const extendTracing = tracing(DIAGNOSTICS_CHANNELS.extend);
export const queuedChannel = channel(DIAGNOSTICS_CHANNELS.queued);
export const lostChannel = channel(DIAGNOSTICS_CHANNELS.lost);

/** True if anyone listens on any event of `t`. */
export function traced(t: Tracing): boolean {
  return (
    t.start.hasSubscribers ||
    t.end.hasSubscribers ||
    t.asyncStart.hasSubscribers ||
    t.asyncEnd.hasSubscribers ||
    t.error.hasSubscribers
  );
}

/**
 * Runs `fn` inside tracing channel `t` like Node's `tracePromise` (start, end, then error,
 * asyncStart, asyncEnd), except that the result is not put on the context: `settle` copies what may
 * be shown. Zero cost when nobody listens.
 */
export function tracePromise<C extends object, R>(
  t: Tracing,
  context: () => C,
  fn: () => Promise<R>,
  settle: (ctx: C, result: R) => void,
  fail?: (ctx: C, error: unknown) => void,
): Promise<R> {
  if (!traced(t)) return fn();
  const ctx = context();
  t.start.publish(ctx);
  let promise: Promise<R>;
  try {
    promise = fn();
  } catch (err) {
    (ctx as { error?: unknown }).error = err;
    t.error.publish(ctx);
    t.end.publish(ctx);
    throw err;
  }
  t.end.publish(ctx);
  return promise.then(
    (result) => {
      settle(ctx, result);
      t.asyncStart.publish(ctx);
      t.asyncEnd.publish(ctx);
      return result;
    },
    (err: unknown) => {
      (ctx as { error?: unknown }).error = err;
      fail?.(ctx, err);
      t.error.publish(ctx);
      t.asyncStart.publish(ctx);
      t.asyncEnd.publish(ctx);
      throw err;
    },
  );
}
