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

/** Where a lease's validity window ends, on the host clock (after extensions; at the loss if lost). */
export function validUntil(lease: { readonly expiresAt: number }): number {
  return hostNow() + (lease.expiresAt - Date.now());
}

/**
 * Renders the report; stops as soon as the client goes away or the permit is lost (the permit's
 * signal aborts for both). A lost permit (its process paused past the claim window, say) is
 * answered 503, so the client is not left waiting.
 */
export function reportHandler(replica: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const permit = req.lockstep;
    if (!permit) throw new Error('reportHandler runs behind concurrencyLimit');
    const { lease } = permit;
    const t0 = hostNow();
    // The end of the work is taken in the abort listener itself: the middleware aborts the signal
    // just before it sends the release, so another replica may start a fraction of a ms later.
    let abortedAt: number | undefined;
    lease.signal.addEventListener('abort', () => {
      abortedAt = hostNow();
    });
    const aborted = await sleep(REPORTS.renderMs, undefined, { signal: lease.signal }).then(
      () => false,
      () => true,
    );
    const lost = lease.lostError !== undefined;
    emit({
      k: 'report',
      replica,
      limit: permit.limit,
      t0,
      t1: abortedAt ?? hostNow(),
      v1: validUntil(lease),
      aborted,
      lost,
    });
    if (res.destroyed || res.writableEnded) return;
    if (aborted) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: lost ? 'ERR_LEASE_LOST' : 'ERR_ABORTED' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ report: req.url, waitedMs: Math.round(permit.waitedMs) }));
  };
}
