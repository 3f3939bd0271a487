// Lockstep errors of WebSocket gateway handlers, as an `exception` message the client receives.
// Nest never applies global filters (APP_FILTER) to gateways, so gateways opt in with @UseFilters.

import { LockstepError } from '@lockstep/core';
import { type ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';

/** Codes that are bugs rather than busy or outage: logged, as Nest logs an unknown error. */
const BUGS = new Set(['ERR_INVALID_ARGUMENT', 'ERR_INTERNAL']);

/** What the client of a gateway gets: `{ status: 'error', code, message }` in an `exception` event. */
interface WsClient {
  readonly readyState?: unknown;
  send?: (data: string) => void;
  emit?: (event: string, body: unknown) => unknown;
}

/**
 * @internal Sends `error` to a gateway client. A native WebSocket (`ws`, `@nestjs/platform-ws`) is
 * also an EventEmitter whose `emit` only dispatches locally, so it gets `{ event, data }` JSON through
 * `send` (the shape `WsAdapter` uses for replies); a Socket.IO socket gets `emit('exception', data)`.
 */
export function sendWsException(client: unknown, error: LockstepError): void {
  const data = { status: 'error', code: error.code, message: error.message };
  const socket = client as WsClient | null | undefined;
  if (!socket) return;
  if (typeof socket.readyState === 'number' && typeof socket.send === 'function') {
    if (socket.readyState === 1) socket.send(JSON.stringify({ event: 'exception', data }));
    return;
  }
  socket.emit?.('exception', data);
}

/**
 * Answers Lockstep errors of WebSocket gateway handlers with an `exception` message carrying the
 * Lockstep `code` (`ERR_ACQUIRE_TIMEOUT` when busy, `ERR_REDIS` on an outage), instead of Nest's
 * generic "Internal server error". The connection stays open. Nest does not apply global filters to
 * gateways, so put it on each gateway (or handler) that uses `@Locked` or `@Limited`. Works with
 * `@nestjs/platform-ws` (a `{ event: 'exception', data }` JSON message) and Socket.IO (an
 * `exception` event).
 *
 * @example
 * ```ts
 * @UseFilters(LockstepWsExceptionFilter)
 * @WebSocketGateway()
 * export class ExportsGateway {
 *   @SubscribeMessage('export')
 *   @Limited('exports', { limit: 4, onBusy: 'throw' })
 *   async export() {}
 * }
 * ```
 */
@Catch(LockstepError)
export class LockstepWsExceptionFilter implements WsExceptionFilter<LockstepError> {
  readonly #logger = new Logger('Lockstep');

  catch(error: LockstepError, host: ArgumentsHost): void {
    if (BUGS.has(error.code)) this.#logger.error(error.message, error.stack);
    sendWsException(host.switchToWs().getClient(), error);
  }
}
