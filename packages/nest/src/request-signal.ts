// The HTTP request a decorated route handler serves: its "client went away" signal, so a call still
// waiting for its lock or permits leaves the queue when its client leaves (express-queue's leak), and
// the end of its response, until which the handler's lease is kept. Set by an interceptor, carried
// to the decorator by AsyncLocalStorage.
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { LockstepError } from '@lockstep/core';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { finalize, type Observable } from 'rxjs';
import { socketGone } from './socket-signal.js';

/** The HTTP request a decorated route handler serves. */
interface RouteRequest {
  /** Aborts when the client left before the response finished. */
  readonly signal: AbortSignal;
  /**
   * Aborts when the response ended, or the client left: the route handler's own wait for its lock
   * or permits is then pointless (a timeout interceptor answered 408 while it was queued).
   */
  readonly answered: AbortSignal;
  /** Resolves when the response finished or closed; undefined for a WebSocket message (no response). */
  readonly responseDone: Promise<void> | undefined;
  /** The decorated method's wrapper the route handler is (or wraps, see {@link markGuarded}). */
  readonly handler: object;
}

const storage = new AsyncLocalStorage<RouteRequest>();
/**
 * Metadata key naming the decorated method's wrapper. Metadata, not a WeakSet of wrappers: a method
 * decorator applied after ours (a tracing `@Span()`, `@Transactional()`) wraps our wrapper again and
 * becomes Nest's route handler, but copies every metadata key onto its own wrapper, as such
 * decorators must to keep `@Get` and the others; the route is then still known as ours.
 */
const GUARDED = 'lockstep:guarded';

/** Marks a decorated method's wrapper, so only routes that wait for a permit pay for a signal. */
export function markGuarded(wrapper: object): void {
  Reflect.defineMetadata(GUARDED, wrapper, wrapper);
}

/** The decorated method's wrapper that `handler` is or wraps, if any. */
function guardedWrapper(handler: object): object | undefined {
  const wrapper: unknown = Reflect.getMetadata(GUARDED, handler);
  return typeof wrapper === 'function' ? wrapper : undefined;
}

/**
 * For the wait of a call to `wrapper` while an HTTP request is served: a signal that aborts when
 * the client went away, or, when `wrapper` is the route handler itself, also when the response was
 * sent without it (a timeout interceptor or filter answered while it was queued), so it never runs
 * for a request already answered. Undefined outside a request.
 */
export function requestSignal(wrapper: object): AbortSignal | undefined {
  const route = storage.getStore();
  if (route === undefined) return undefined;
  return route.handler === wrapper ? route.answered : route.signal;
}

/**
 * When `wrapper` is the route handler of the HTTP request being served: a promise of the end of its
 * response (finished, or closed by the client). Undefined for any other call, such as a decorated
 * service method the handler calls.
 */
export function routeResponseDone(wrapper: object): Promise<void> | undefined {
  const route = storage.getStore();
  return route?.handler === wrapper ? route.responseDone : undefined;
}

interface RawResponse {
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  once(event: 'close' | 'finish', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
  /** The request it answers (Node sets it). */
  readonly req?: RawRequest;
}

interface RawRequest {
  readonly errored?: unknown;
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
 * before it finished (the client left), and the end of the response, until which the handler's
 * lease is kept (a streamed body, `StreamableFile` or `@Res()`, is written after the handler returned).
 * For decorated WebSocket message handlers (Nest applies global interceptors to gateways), a signal
 * that aborts when the client disconnects.
 */
@Injectable()
export class LockstepRequestInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = context.getType();
    const handler = type === 'http' || type === 'ws' ? guardedWrapper(context.getHandler()) : undefined;
    if (handler === undefined) return next.handle();
    if (type === 'ws') {
      // A gateway message: its wait ends when its client disconnects; its lease ends with the handler.
      const signal = socketGone(context.switchToWs().getClient());
      if (signal === undefined) return next.handle();
      const message: RouteRequest = { signal, answered: signal, responseDone: undefined, handler };
      return storage.run(message, () => next.handle());
    }
    const raw = rawResponse(context.switchToHttp().getResponse());
    if (raw === undefined) return next.handle();
    const controller = new AbortController();
    const onClose = (): void => {
      if (!raw.writableFinished) {
        controller.abort(new LockstepError('ERR_ABORTED', 'The client closed the connection'));
      }
    };
    raw.once('close', onClose);
    // A pipelined request whose response is queued behind another one's has no socket yet: when its
    // client leaves, Node destroys only the request (with an error), and its response never emits
    // 'finish' or 'close'. The request's errored close is then the only sign.
    const req = raw.req;
    const clientGone = (): boolean => req?.errored !== undefined && req.errored !== null;
    let gone: () => void = () => undefined;
    const onRequestClose = (): void => {
      if (!clientGone()) return;
      onClose();
      gone();
    };
    req?.once('close', onRequestClose);
    if (raw.destroyed || clientGone()) onClose();
    const responseDone = new Promise<void>((resolve) => {
      if (raw.writableFinished || raw.destroyed || clientGone()) return resolve();
      gone = resolve;
      raw.once('finish', resolve);
      raw.once('close', resolve);
    });
    const answered = new AbortController();
    void responseDone.then(() => {
      req?.off('close', onRequestClose);
      answered.abort(
        controller.signal.aborted
          ? controller.signal.reason
          : new LockstepError('ERR_ABORTED', 'The response was sent before the route handler ran'),
      );
    });
    const route: RouteRequest = { signal: controller.signal, answered: answered.signal, responseDone, handler };
    return storage.run(route, () => next.handle()).pipe(finalize(() => raw.off('close', onClose)));
  }
}
