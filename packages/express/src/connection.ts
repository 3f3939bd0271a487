// Whether the Lockstep's Redis connection is down right now, for a fail-open limiter that should not
// make a request wait out its `waitMs` during an outage.
import { type LockstepError, RedisUnavailableError } from '@lockstep/core';

/** ioredis states of a connection that is down: between reconnect attempts, or closed for good. */
const DOWN = new Set(['reconnecting', 'close', 'end']);

/**
 * An `ERR_REDIS` when the client of `lockstep` (ioredis `Redis` or `Cluster`) is reconnecting or
 * closed; `undefined` when it is connected, connecting, not yet started (`lazyConnect`: the first
 * command connects it), or when the backend has no such client (quorum mode, the memory backend).
 */
export function connectionDown(lockstep: object): LockstepError | undefined {
  const status = (lockstep as { client?: { status?: unknown } }).client?.status;
  if (typeof status !== 'string' || !DOWN.has(status)) return undefined;
  return new RedisUnavailableError(
    `Redis is unreachable (the client's connection is "${status}"): the request runs without a permit (passOnStoreError)`,
    false,
  );
}
