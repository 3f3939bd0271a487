// GET /reports/:id: a plain Express handler behind concurrencyLimit, mounted in the Nest app. At most
// REPORTS.limit reports render at once across all replicas; a client that hangs up frees its slot.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lockstep } from '@lockstep/core';
import { type ConcurrencyLimitMiddleware, concurrencyLimit } from '@lockstep/express';
import { emit, hostNow } from '../evidence.js';
import { REPORTS } from '../settings.js';

/** The middleware: one semaphore named `reports`, shared by every replica. */
export function reportsLimit(lockstep: Lockstep): ConcurrencyLimitMiddleware<IncomingMessage, ServerResponse> {
  return concurrencyLimit({
    lockstep,
    name: REPORTS.name,
    limit: REPORTS.limit,
    waitMs: REPORTS.waitMs,
    ttlMs: REPORTS.ttlMs,
  });
}

/** Renders the report; stops as soon as the client goes away (the permit's signal aborts). */
export function reportHandler(replica: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const permit = req.lockstep;
    if (!permit) throw new Error('reportHandler runs behind concurrencyLimit');
    const t0 = hostNow();
    // The end of the work is taken in the abort listener itself: the middleware aborts the signal
    // just before it sends the release, so another replica may start a fraction of a ms later.
    let abortedAt: number | undefined;
    permit.lease.signal.addEventListener('abort', () => {
      abortedAt = hostNow();
    });
    const aborted = await sleep(REPORTS.renderMs, undefined, { signal: permit.lease.signal }).then(
      () => false,
      () => true,
    );
    emit({ k: 'report', replica, limit: permit.limit, t0, t1: abortedAt ?? hostNow(), aborted });
    if (aborted || res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ report: req.url, waitedMs: Math.round(permit.waitedMs) }));
  };
}
