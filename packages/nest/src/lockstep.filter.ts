// Turns Lockstep errors of HTTP route handlers into 409 / 503 + Retry-After, never a 500. RPC,
// WebSocket and other contexts get the LockstepError itself.

import { randomInt } from 'node:crypto';
import { LockstepError } from '@lockstep/core';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError } from 'rxjs';
import { originOf } from './busy.js';
import { LOCKSTEP_HANDLE } from './lockstep.constants.js';
import type { ResolvedHttpOptions } from './lockstep.options.js';
import type { LockstepHandle } from './lockstep-handle.js';
import { sendWsException } from './lockstep-ws.filter.js';

const OUTAGE = new Set(['ERR_REDIS', 'ERR_QUORUM', 'ERR_LEASE_LOST', 'ERR_CLOSED', 'ERR_ABORTED']);
const BUSY = new Set(['ERR_ACQUIRE_TIMEOUT', 'ERR_QUEUE_FULL', 'ERR_WEIGHT_EXCEEDS_LIMIT']);

/**
 * The HTTP status and `Retry-After` for an error, or undefined for a bug (answered 500). A busy
 * `@Limited` answer's `Retry-After` is `retryAfterSeconds` plus 0 to `retryAfterJitterSeconds` drawn
 * uniformly, so clients turned away together spread their retries.
 */
export function httpAnswerOf(
  error: LockstepError,
  http: ResolvedHttpOptions,
): { status: number; retryAfter?: number } | undefined {
  if (BUSY.has(error.code)) {
    return originOf(error) === 'lock'
      ? { status: http.lockedStatus }
      : {
          status: http.limitedStatus,
          retryAfter: http.retryAfterSeconds + randomInt(http.retryAfterJitterSeconds + 1),
        };
  }
  if (OUTAGE.has(error.code)) return { status: http.outageStatus };
  return undefined;
}

/** @internal Registered globally (APP_FILTER) by the module. */
@Catch(LockstepError)
export class LockstepExceptionFilter implements ExceptionFilter<LockstepError> {
  readonly #logger = new Logger('Lockstep');

  constructor(
    @Inject(LOCKSTEP_HANDLE) private readonly handle: LockstepHandle,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  catch(error: LockstepError, host: ArgumentsHost): unknown {
    const type = host.getType<string>();
    if (type === 'rpc') return throwError(() => error);
    // Reached only where a gateway applies this filter itself: Nest gives gateways no global filters
    // (see LockstepWsExceptionFilter).
    if (type === 'ws') {
      sendWsException(host.switchToWs().getClient(), error);
      return undefined;
    }
    if (type !== 'http') return error; // GraphQL and others rethrow what the filter returns
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    if (adapter.isHeadersSent(response)) return undefined;
    const answer = httpAnswerOf(error, this.handle.http);
    if (!answer) {
      this.#logger.error(error.message, error.stack);
      adapter.reply(response, { statusCode: 500, message: 'Internal server error' }, 500);
      return undefined;
    }
    if (answer.retryAfter !== undefined) adapter.setHeader(response, 'Retry-After', String(answer.retryAfter));
    adapter.reply(response, { statusCode: answer.status, message: error.message, code: error.code }, answer.status);
    return undefined;
  }
}
