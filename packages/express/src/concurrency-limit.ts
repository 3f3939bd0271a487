// The middleware: admit a request under a distributed semaphore, hold the permit until the response ends.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Lease, LockstepError, Semaphore } from '@lockstep/core';
import { connectionDown } from './connection.js';
import { holdsPermit, rememberPermit } from './held-permits.js';
import { recordHold } from './hold-times.js';
import { type ConcurrencyLimitOptions, type PerRequest, type ResolvedOptions, resolveOptions } from './options.js';
import { PermitGate } from './permit-gate.js';
import { rejectRequest, storeFailure } from './rejection.js';
import { setRateLimitHeaders } from './responses.js';
import { SemaphoreCache } from './semaphores.js';
import type { ConcurrencyLimitMiddleware, NextFunction } from './types.js';

/** Codes that mean the store could not be used: an outage, never contention. */
const STORE_ERRORS = new Set(['ERR_REDIS', 'ERR_CLOSED', 'ERR_INTERNAL', 'ERR_QUORUM']);
/** Codes that mean "busy": the request is turned away with `statusCode`. */
const BUSY_ERRORS = new Set(['ERR_ACQUIRE_TIMEOUT', 'ERR_QUEUE_FULL']);

/**
 * Creates a middleware that limits how many requests run at once per `name`, across every process
 * sharing the Redis. A request waits (by priority, then arrival) up to `waitMs` for a permit, holds
 * it until its response finishes or its client goes away, and finds it on `req.lockstep`.
 * The idea of the options (`skip`, `handler`, `passOnStoreError`, `standardHeaders`) follows
 * express-rate-limit.
 *
 * @param options - see {@link ConcurrencyLimitOptions}
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a bad or unknown option, at creation
 * @example
 * ```ts
 * app.post('/exports', concurrencyLimit({ lockstep, name: (req) => `exports:${req.user.tenantId}`, limit: 4 }), exportHandler);
 * ```
 */
export function concurrencyLimit<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(options: ConcurrencyLimitOptions<Req, Res>): ConcurrencyLimitMiddleware<Req, Res> {
  const o = resolveOptions(options);
  const cache = new SemaphoreCache(o.lockstep, {
    ttlMs: o.ttlMs,
    maxWaiters: o.maxWaiters,
    ...(o.priorities === undefined ? {} : { priorities: o.priorities }),
  });
  return function lockstepConcurrencyLimit(req, res, next) {
    // Never a rejected promise: Express 4 and bare servers would leave it unhandled.
    return admit(o, cache, req, res, next).catch((error: unknown) => {
      if (!res.headersSent) forward(next, res, error);
      else reportError(o, error, req);
    });
  };
}

async function value<Req, T>(v: PerRequest<Req, T>, req: Req): Promise<T> {
  return typeof v === 'function' ? await (v as (req: Req) => T | Promise<T>)(req) : v;
}

async function admit<Req extends IncomingMessage>(
  o: ResolvedOptions<Req>,
  cache: SemaphoreCache,
  req: Req,
  res: ServerResponse,
  next: NextFunction,
): Promise<void> {
  const report = (error: unknown): void => reportError(o, error, req);
  // Listeners first, before any await, so a close during the acquire is never missed.
  const gate = new PermitGate(res, report);
  let started = 0;
  let context: { name: string; limit: number; semaphore: Semaphore } | undefined;
  let lease: Lease;
  try {
    if (gate.done) return;
    if (o.skip && (await o.skip(req as IncomingMessage, res))) {
      gate.end();
      forward(next, res);
      return;
    }
    // Fail open at once while the connection is down, rather than after waiting out `waitMs`.
    const down = o.passOnStoreError ? connectionDown(o.lockstep) : undefined;
    if (down !== undefined) {
      gate.end();
      report(down);
      forward(next, res);
      return;
    }
    const name = await value(o.name, req);
    if (holdsPermit(req, o.lockstep, name)) {
      // Reached again by a request that holds a permit of this name: run on that one.
      gate.end();
      forward(next, res);
      return;
    }
    const limit = await value(o.limit, req);
    const semaphore = cache.get(name, limit);
    context = { name, limit, semaphore };
    const weight = await value(o.weight, req);
    const priority = o.priority === undefined ? undefined : await value(o.priority, req);
    started = performance.now();
    lease = await semaphore.acquire({
      weight,
      ...(priority === undefined ? {} : { priority }),
      waitMs: o.waitMs,
      signal: gate.clientGone,
      autoExtend: true,
    });
  } catch (error) {
    gate.end();
    await refused(o, error, context, started, req, res, next);
    return;
  }
  const { name, limit, semaphore } = context;
  await admitted(o, gate, lease, { name, limit, semaphore, waitedMs: performance.now() - started }, req, res, next);
}

async function admitted<Req extends IncomingMessage>(
  o: ResolvedOptions<Req>,
  gate: PermitGate,
  lease: Lease,
  c: { name: string; limit: number; semaphore: Semaphore; waitedMs: number },
  req: Req,
  res: ServerResponse,
  next: NextFunction,
): Promise<void> {
  if (!gate.hold(lease, (heldMs) => recordHold(c.semaphore, heldMs))) return;
  rememberPermit(req, o.lockstep, c.name, gate);
  req.lockstep = { name: c.name, lease: gate.requestLease(), waitedMs: c.waitedMs, limit: c.limit };
  if (o.standardHeaders) {
    const state = await c.semaphore.inspect().catch(() => undefined);
    if (gate.done) return;
    // Without a fresh count (inspect failed) the fields are left out rather than guessed.
    if (state !== undefined) setRateLimitHeaders(res, c.limit, state.limit - state.used);
  }
  try {
    next();
  } catch (error) {
    // Only a bare server's own `next` can throw here (Express and Connect catch): give the permit back.
    gate.end();
    forward(next, res, error);
  }
}

/**
 * Calls `next()`, or `next(error)`. Express and Connect never throw from it; a bare server's own
 * `next` may (a handler that throws, or one that rethrows the error it is given). A `next()` that
 * throws gets its error passed to `next(error)` once; a `next(error)` that throws closes the
 * connection. So a request is never left hanging, and the middleware's promise never rejects.
 */
function forward(next: NextFunction, res: ServerResponse, error?: unknown): void {
  let pending = error;
  if (pending === undefined) {
    try {
      next();
      return;
    } catch (thrown) {
      pending = thrown ?? new Error('next() threw undefined');
    }
  }
  try {
    next(pending);
    return;
  } catch {
    if (!res.destroyed) res.destroy(pending instanceof Error ? pending : undefined);
  }
}

async function refused<Req extends IncomingMessage>(
  o: ResolvedOptions<Req>,
  error: unknown,
  context: { name: string; limit: number; semaphore: Semaphore } | undefined,
  started: number,
  req: Req,
  res: ServerResponse,
  next: NextFunction,
): Promise<void> {
  const code = (error as Partial<LockstepError> | null)?.code ?? '';
  if (code === 'ERR_ABORTED' || res.destroyed) return; // the client left: nobody to answer
  if (context !== undefined && BUSY_ERRORS.has(code)) {
    const waitedMs = performance.now() - started;
    await rejectRequest(o, error as LockstepError, { ...context, waitedMs }, req, res, next);
    return;
  }
  if (STORE_ERRORS.has(code)) {
    reportError(o, error, req);
    if (o.passOnStoreError) forward(next, res);
    else storeFailure(res, error as LockstepError);
    return;
  }
  forward(next, res, error);
}

function reportError<Req>(o: ResolvedOptions<Req>, error: unknown, req: Req): void {
  try {
    o.onError(error as LockstepError, req);
  } catch {
    // A throwing onError must not become an unhandled rejection.
  }
}
