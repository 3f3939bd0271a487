// Publishes releases and extensions of a lease on `lockstep:release` and `lockstep:extend`.
import type { ExtendOutcome } from '../lease/lease-driver.js';
import {
  type ExtendMessage,
  extendTracing,
  type LeaseMessage,
  type ReleaseMessage,
  releaseTracing,
  tracePromise,
} from './channels.js';

/** Runs a release (or, with `afterMs`, a `releaseAfter(afterMs)`), traced when anyone listens. */
export function traceRelease(
  message: () => LeaseMessage,
  release: () => Promise<boolean>,
  afterMs?: number,
): Promise<boolean> {
  const context = afterMs === undefined ? message : () => ({ ...message(), afterMs });
  return tracePromise<ReleaseMessage, boolean>(releaseTracing, context, release, (ctx, released) => {
    ctx.released = released;
  });
}

/** Runs an extension, traced when anyone listens. */
export function traceExtend(
  message: () => LeaseMessage,
  ttlMs: number,
  auto: boolean,
  extend: () => Promise<ExtendOutcome>,
): Promise<ExtendOutcome> {
  return tracePromise<ExtendMessage, ExtendOutcome>(
    extendTracing,
    () => ({ ...message(), ttlMs, auto }),
    extend,
    (ctx, outcome) => {
      ctx.outcome = outcome;
    },
  );
}
