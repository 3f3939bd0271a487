// Publishes one acquisition on `lockstep:acquire` (and `lockstep:acquire:queued` when it queues).

import { LockstepError } from '../errors.js';
import type { Lease } from '../lease/lease.js';
import { monotonicNow } from '../util/clock.js';
import type { AcquireRequest } from '../waiting/contender.js';
import {
  type AcquireMessage,
  type AcquireOutcome,
  acquireTracing,
  type LimiterKind,
  queuedChannel,
  traced,
  tracePromise,
} from './channels.js';

function outcomeOf(error: unknown): AcquireOutcome {
  if (error instanceof LockstepError) {
    if (error.code === 'ERR_ACQUIRE_TIMEOUT') return 'timeout';
    if (error.code === 'ERR_ABORTED') return 'aborted';
  }
  return 'error';
}

/** Runs `grant(request)`, traced when anyone listens; the lease itself (with its token) is never published. */
export function traceAcquire(
  kind: LimiterKind,
  name: string,
  request: AcquireRequest,
  grant: (request: AcquireRequest) => Promise<Lease | null>,
): Promise<Lease | null> {
  if (!traced(acquireTracing) && !queuedChannel.hasSubscribers) return grant(request);
  const started = monotonicNow();
  let message: AcquireMessage | undefined;
  const context = (): AcquireMessage => {
    message = {
      name,
      kind,
      waitMs: request.waitMs,
      queued: false,
      waitedMs: undefined,
      outcome: undefined,
      fence: undefined,
      weight: undefined,
    };
    return message;
  };
  const onQueued = () => {
    const ctx = message ?? context();
    ctx.queued = true;
    if (queuedChannel.hasSubscribers) queuedChannel.publish(ctx);
  };
  return tracePromise(
    acquireTracing,
    context,
    () => grant({ ...request, onQueued }),
    (ctx, lease) => {
      ctx.waitedMs = monotonicNow() - started;
      ctx.outcome = lease ? 'granted' : 'busy';
      ctx.fence = lease?.fence;
      ctx.weight = lease?.weight;
    },
    (ctx, error) => {
      ctx.waitedMs = monotonicNow() - started;
      ctx.outcome = outcomeOf(error);
    },
  );
}
