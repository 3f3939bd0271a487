// Says why Redis did not answer, when the client knows: a request that timed out while the
// client's connection was down reads as an outage, not as a slow server.
import { RedisUnavailableError } from '../errors.js';
import type { RedisClient } from './scripts.js';

/**
 * Returns `error` with the client's connection state added to its message when it is an
 * `ERR_REDIS` and the connection is not ready (ioredis `status`: `'reconnecting'`, `'connecting'`,
 * `'end'`, ...); any other error, or a ready connection, is returned as is.
 */
export function withConnectionState(error: unknown, client: RedisClient | undefined): unknown {
  if (!(error instanceof RedisUnavailableError) || client === undefined) return error;
  const status = (client as { status?: unknown }).status;
  if (typeof status !== 'string' || status === 'ready' || error.message.includes('connection to Redis')) return error;
  return new RedisUnavailableError(
    `${error.message} (the client's connection to Redis is "${status}", not "ready")`,
    error.indeterminate,
    error.cause === undefined ? {} : { cause: error.cause },
  );
}
