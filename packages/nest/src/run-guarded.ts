// One decorated call: take the lock or permits as `onBusy` says, run the method with the lease in
// AsyncLocalStorage, then release it, or keep it until `minHoldMs` has passed since the grant.
import { performance } from 'node:perf_hooks';
import {
  AcquireTimeoutError,
  DEFAULT_LOCK_OPTIONS,
  InvalidArgumentError,
  type Lease,
  type LeaseLostError,
  type Limiter,
  type SemaphoreAcquireOptions,
  type SemaphoreTryAcquireOptions,
} from '@lockstep/core';
import { isObservable } from 'rxjs';
import { type GuardKind, markOrigin } from './busy.js';
import { leaseStorage } from './current-lease.js';
import { checkPerCall, type ResolvedGuardOptions } from './decorator-options.js';
import { guardObservable } from './guard-observable.js';
import { heldInChain, newFrame, runInFrame } from './held-locks.js';
import { type BackendEntry, backendFor } from './registry.js';
import { requestSignal, routeResponseDone } from './request-signal.js';
import { describe } from './validate.js';

/** Everything a decorated method needs to know, fixed when the decorator is applied. */
export interface GuardSpec {
  readonly kind: GuardKind;
  /** `@Locked on BillingService.pay`, for error messages. */
  readonly where: string;
  readonly key: string | ((...args: unknown[]) => unknown);
  readonly options: ResolvedGuardOptions;
}

const MAX_NAME_BYTES = 512;

/** `AbortSignal.any` (Node 20.3+), which the @types/node version we build against lacks. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  return (AbortSignal as unknown as { any(list: AbortSignal[]): AbortSignal }).any(signals);
}

function nameOf(spec: GuardSpec, self: unknown, args: unknown[]): string {
  const name = typeof spec.key === 'function' ? spec.key.apply(self, args) : spec.key;
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw new InvalidArgumentError(
      `${spec.where}: the key must be a non-empty string of at most ${MAX_NAME_BYTES} UTF-8 bytes, got ${describe(name)}`,
    );
  }
  return name;
}

function optionFor(option: unknown, self: unknown, args: unknown[]): unknown {
  return typeof option === 'function' ? (option as (...a: unknown[]) => unknown).apply(self, args) : option;
}

/** A call's own options, from the decorator's functions of its arguments: each is called once per call. */
interface PerCall {
  readonly priority: number | string | undefined;
  readonly weight: number | undefined;
}

function perCallOf(spec: GuardSpec, self: unknown, args: unknown[]): PerCall {
  if (spec.kind === 'lock') return { priority: undefined, weight: undefined };
  const o = spec.options;
  return {
    priority: checkPerCall(spec.where, 'priority', optionFor(o.priority, self, args), o),
    weight: checkPerCall(spec.where, 'weight', optionFor(o.weight, self, args), o) as number | undefined,
  };
}

async function take(spec: GuardSpec, entry: BackendEntry, name: string, call: PerCall, wrapper: object) {
  const o = spec.options;
  const autoExtend = o.autoExtend && o.minHoldMs === 0;
  const common = {
    ...(o.ttlMs === undefined ? {} : { ttlMs: o.ttlMs }),
    ...(o.maxWaiters === undefined ? {} : { maxWaiters: o.maxWaiters }),
  };
  let limiter: Limiter<SemaphoreAcquireOptions, SemaphoreTryAcquireOptions>;
  // A route handler's wait also ends when its client leaves or its request was answered meanwhile
  // (the handler then never runs).
  const client = requestSignal(wrapper);
  const signal = client === undefined ? entry.shutdown : anySignal([entry.shutdown, client]);
  let perCall: SemaphoreAcquireOptions = { autoExtend, signal };
  if (spec.kind === 'lock') {
    limiter = entry.lockstep.lock(name, common);
  } else {
    limiter = entry.lockstep.semaphore(name, {
      ...common,
      limit: o.limit,
      ...(o.priorities === undefined ? {} : { priorities: o.priorities }),
      ...(o.defaultPriority === undefined ? {} : { defaultPriority: o.defaultPriority }),
      ...(o.agingMs === undefined ? {} : { agingMs: o.agingMs }),
    });
    const { priority, weight } = call;
    perCall = {
      autoExtend,
      signal,
      ...(priority === undefined ? {} : { priority }),
      ...(weight === undefined ? {} : { weight }),
    };
  }
  if (o.onBusy === 'wait') {
    return await limiter.acquire(o.waitMs === undefined ? perCall : { ...perCall, waitMs: o.waitMs });
  }
  const lease = await limiter.tryAcquire(perCall);
  if (lease === null && o.onBusy === 'throw') throw new AcquireTimeoutError(name, 0);
  return lease;
}

/** Extends `lease` every third of `ttlMs` until stopped (used with `minHoldMs`, see {@link finish}). */
function keepExtending(lease: Lease, ttlMs: number, onError: (e: unknown) => void): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  void lease.signal; // arms the lease's own end-of-window check, so a stalled Redis still aborts it
  const schedule = (ms: number) => {
    if (stopped || !lease.held) return;
    timer = setTimeout(() => {
      inFlight = lease.extend(ttlMs).then(
        () => schedule(Math.floor(ttlMs / 3)),
        (err: unknown) => {
          if ((err as { code?: unknown }).code === 'ERR_LEASE_LOST') return; // the lease's signal already aborted
          onError(err);
          schedule(Math.min(250, Math.floor(ttlMs / 10)));
        },
      );
    }, ms);
    timer.unref();
  };
  schedule(Math.floor(ttlMs / 3));
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await inFlight;
  };
}

/**
 * The loss of `lease`, including a window that ran out with no timer to report it: without
 * auto-extension no timer is armed, and a method that blocked the event loop past `ttlMs` resumes
 * before the timer fires. Reading `held` compares the window with the clock and records the loss.
 */
function lossOf(lease: Lease): LeaseLostError | undefined {
  void lease.held;
  return lease.lostError;
}

/** Releases the lease, or leaves it to expire `minHoldMs` after the grant (ShedLock's "at least for"). */
async function finish(lease: Lease, grantedAt: number, minHoldMs: number, onError: (e: unknown) => void) {
  const left = Math.ceil(minHoldMs - (performance.now() - grantedAt));
  if (minHoldMs > 0 && left >= 10 && lease.held) {
    try {
      // Expires in Redis when the hold ends, without reporting a loss (a process that exits
      // meanwhile still keeps the name taken until then).
      if (await lease.releaseAfter(left)) return;
    } catch (err) {
      onError(err);
    }
  }
  await lease.release();
}

/**
 * A generator runs its body as it is iterated, after the decorated call returned and gave its
 * lease back: it would run unprotected, so it is refused (at definition for a generator method, at
 * call time for a generator returned by a method).
 */
export function generatorRefused(where: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${where}: a generator runs as it is iterated, after the call returned and gave its lease back, so it would run unprotected. Decorate the method that consumes it, or return an Observable (held until it completes)`,
  );
}

function isGenerator(value: unknown): boolean {
  const tag = Object.prototype.toString.call(value);
  return tag === '[object Generator]' || tag === '[object AsyncGenerator]';
}

function report(entry: BackendEntry, error: unknown): void {
  try {
    entry.onError(error);
  } catch {
    // A throwing onError must not turn a background failure into an unhandled rejection.
  }
}

/** Runs `method` on `self` under the decorator described by `spec`. */
export function runGuarded(
  spec: GuardSpec,
  self: unknown,
  args: unknown[],
  method: (...args: unknown[]) => unknown,
  wrapper: object,
): Promise<unknown> {
  let entry: BackendEntry;
  try {
    entry = backendFor(self, spec.where);
  } catch (err) {
    return Promise.reject(err);
  }
  return entry.track(guarded(spec, entry, self, args, method, wrapper));
}

/**
 * A nested call on a lock this call chain holds, or on a semaphore whose permits held by the chain
 * plus this call's weight exceed the limit, could only be granted after its own caller finished:
 * waiting would time out after waitMs (reported as busy, 409) and 'skip' would silently skip, both
 * hiding a bug in the caller. It fails at once, before any Redis call.
 */
function assertNotWaitingForItself(spec: GuardSpec, entry: BackendEntry, name: string, call: PerCall): void {
  const held = heldInChain(entry.lockstep, spec.kind, name);
  if (held === 0) return;
  let reason: string | undefined;
  if (spec.kind === 'lock') {
    reason = `re-entrant call on the lock ${describe(name)}, which this call chain already holds; the lock is not re-entrant, so it would wait for itself`;
  } else {
    const weight = call.weight ?? 1;
    const limit = spec.options.limit;
    if (held + weight > limit) {
      reason = `re-entrant call on the semaphore ${describe(name)}: this call chain already holds ${held} of its ${limit} permits and asks for ${weight} more, so it would wait for itself`;
    }
  }
  if (reason === undefined) return;
  throw markOrigin(
    new InvalidArgumentError(`${spec.where}: ${reason}. Call the undecorated logic from inside, or use another key`),
    spec.kind,
  );
}

async function guarded(
  spec: GuardSpec,
  entry: BackendEntry,
  self: unknown,
  args: unknown[],
  method: (...args: unknown[]) => unknown,
  wrapper: object,
): Promise<unknown> {
  const name = nameOf(spec, self, args);
  const call = perCallOf(spec, self, args);
  assertNotWaitingForItself(spec, entry, name, call);
  // A cron tick or event that fires while the application shuts down: skipping is what 'skip' means.
  if (entry.shutdown.aborted && spec.options.onBusy === 'skip') return undefined;
  let lease: Lease | null;
  const requestedAt = performance.now();
  try {
    lease = await take(spec, entry, name, call, wrapper);
  } catch (err) {
    throw markOrigin(err, spec.kind);
  }
  if (lease === null) return undefined; // onBusy: 'skip'
  const o = spec.options;
  // Background failures (extensions of a minimum hold) go to onError; one that throws is ignored.
  const background = (error: unknown): void => report(entry, error);
  // minHoldMs counts from the grant (ShedLock's lockAtLeastFor counts from its request). A try is
  // one request, so its grant came after `requestedAt`, even when this process resumes late (an
  // event-loop stall while the reply waited would otherwise stretch the hold into the next cron
  // tick). A queued wait counts from the moment the lease is in hand.
  const grantedAt = o.onBusy === 'wait' ? performance.now() : requestedAt;
  const stop =
    o.minHoldMs > 0 && o.autoExtend
      ? keepExtending(lease, o.ttlMs ?? DEFAULT_LOCK_OPTIONS.ttlMs, background)
      : async () => {};
  const held = lease;
  const frame = newFrame(entry.lockstep, spec.kind, name, held.weight);
  const inside = <T>(fn: () => T): T => leaseStorage.run(held, () => runInFrame(frame, fn));
  // After the work succeeded: a lease lost meanwhile fails the call (the work ran partly unprotected).
  // A release that fails (Redis down) does not: the work is done and must not be redone, so the
  // failure goes to onError and the lease expires with its TTL, as core's withLock does.
  const settle = async (): Promise<void> => {
    frame.running = false;
    await stop();
    const lost = lossOf(held);
    if (lost) {
      await held.release().catch(() => undefined);
      throw markOrigin(lost, spec.kind);
    }
    await finish(held, grantedAt, o.minHoldMs, background).catch(background);
  };
  const abandon = async (): Promise<void> => {
    frame.running = false;
    await stop();
    // The call's outcome is already decided (an error, or a response under way): a release that
    // fails (Redis down; the lease then expires with its TTL) is a background error.
    await finish(held, grantedAt, o.minHoldMs, background).catch(background);
  };
  let result: unknown;
  try {
    result = await inside(() => method.apply(self, args));
  } catch (err) {
    await abandon();
    throw err;
  }
  if (isGenerator(result)) {
    await abandon();
    throw markOrigin(generatorRefused(spec.where), spec.kind);
  }
  if (isObservable(result)) {
    return guardObservable(result, {
      inside,
      where: spec.where,
      orphanMs: o.ttlMs ?? DEFAULT_LOCK_OPTIONS.ttlMs,
      settle,
      abandon,
      track: (ended) => void entry.track(ended),
    });
  }
  const responseDone = routeResponseDone(wrapper);
  if (responseDone !== undefined) {
    // A route handler: its response (a stream, a StreamableFile, @Res() piping) may still be written
    // after it returned. A lease lost during the handler still fails the request; otherwise the
    // lease is kept until the response finished or the client left.
    if (lossOf(held)) await settle();
    frame.running = false;
    void entry.track(responseDone.then(abandon));
    return result;
  }
  await settle();
  return result;
}
