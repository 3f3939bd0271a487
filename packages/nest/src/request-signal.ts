// The "client went away" signal of the HTTP request a decorated route handler serves, so a call
// still waiting for its lock or permits leaves the queue when its client leaves (express-queue's
// leak). Set by an interceptor, carried to the decorator by AsyncLocalStorage.
import { AsyncLocalStorage } from 'node:async_hooks';
import { LockstepError } from '@lockstep/core';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { finalize, type Observable } from 'rxjs';

const storage = new AsyncLocalStorage<AbortSignal>();
const guarded = new WeakSet<object>();

/** Marks a decorated method's wrapper, so only routes that wait for a permit pay for a signal. */
export function markGuarded(wrapper: object): void {
  guarded.add(wrapper);
}

/** Aborts when the client of the HTTP request being served went away; undefined outside one. */
export function requestSignal(): AbortSignal | undefined {
  return storage.getStore();
}

interface RawResponse {
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/** Node's ServerResponse under Express (`res`) or Fastify (`reply.raw`). */
function rawResponse(response: unknown): RawResponse | undefined {
  const candidate = (response as { raw?: unknown } | undefined)?.raw ?? response;
  const raw = candidate as Partial<RawResponse> | undefined;
  return typeof raw?.once === 'function' && typeof raw.off === 'function' ? (raw as RawResponse) : undefined;
}

/**
 * @internal Registered globally (APP_INTERCEPTOR) by the module: for HTTP route handlers decorated
 * with `@Locked` or `@Limited`, runs the handler with a signal that aborts when the response closes
 * before it finished (the client left).
 */
@Injectable()
export class LockstepRequestInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || !guarded.has(context.getHandler())) return next.handle();
    const raw = rawResponse(context.switchToHttp().getResponse());
    if (raw === undefined) return next.handle();
    const controller = new AbortController();
    const onClose = (): void => {
      if (!raw.writableFinished) {
        controller.abort(new LockstepError('ERR_ABORTED', 'The client closed the connection'));
      }
    };
    raw.once('close', onClose);
    if (raw.destroyed) onClose();
    return storage.run(controller.signal, () => next.handle()).pipe(finalize(() => raw.off('close', onClose)));
  }
}
