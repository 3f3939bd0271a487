// The "client went away" signal of a WebSocket gateway client, so a message handler still waiting
// for its lock or permits leaves the queue when its client disconnects (as an HTTP route does).
import { setMaxListeners } from 'node:events';
import { LockstepError } from '@lockstep/core';

/** A `ws` socket (`@nestjs/platform-ws`) or a Socket.IO socket, as far as this needs. */
interface SocketClient {
  /** `ws`: 1 while open. */
  readonly readyState?: unknown;
  /** Socket.IO: true while connected. */
  readonly connected?: unknown;
  once(event: string, listener: () => void): unknown;
}

const OPEN = 1;

// One signal (and one listener) per client, however many of its messages wait at once.
const signals = new WeakMap<object, AbortSignal>();

/**
 * A signal that aborts (`ERR_ABORTED`) when the gateway client disconnects: `close` of a `ws`
 * socket, `disconnect` of a Socket.IO socket. Undefined for a client of another kind.
 */
export function socketGone(client: unknown): AbortSignal | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const found = signals.get(client);
  if (found !== undefined) return found;
  const socket = client as Partial<SocketClient>;
  if (typeof socket.once !== 'function') return undefined;
  let event: string;
  let open: boolean;
  if (typeof socket.readyState === 'number') {
    event = 'close';
    open = socket.readyState === OPEN;
  } else if (typeof socket.connected === 'boolean') {
    event = 'disconnect';
    open = socket.connected;
  } else {
    return undefined;
  }
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const gone = (): void => controller.abort(new LockstepError('ERR_ABORTED', 'The client closed the connection'));
  if (open) socket.once.call(client, event, gone);
  else gone();
  signals.set(client, controller.signal);
  return controller.signal;
}
