// One viewer's Server-Sent Events stream (`api/events`): the shared poll's results as `update` and
// `failure` events, until the page leaves or the server closes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLockstepError } from '@lockstep/core';
import { SECURITY_HEADERS } from './http.js';
import type { PollResult, SharedPoll } from './shared-poll.js';
import type { Selection } from './snapshot.js';

// Every viewer of a selection gets the same result object: serialise it once, not once per viewer.
const EVENT_TEXT = new WeakMap<PollResult, string>();

/** The `update` or `failure` event of `result`, as written on the stream. */
function eventText(result: PollResult): string {
  let text = EVENT_TEXT.get(result);
  if (text === undefined) {
    if (result.ok) {
      text = `event: update\ndata: ${JSON.stringify(result.snapshot)}\n\n`;
    } else {
      const known = isLockstepError(result.error);
      const failure = {
        code: known ? result.error.code : 'ERR_INTERNAL',
        message: known ? result.error.message : 'internal error',
      };
      text = `event: failure\ndata: ${JSON.stringify(failure)}\n\n`;
    }
    EVENT_TEXT.set(result, text);
  }
  return text;
}

function writeHead(res: ServerResponse): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n\n');
}

/** True once the server this request came in on stopped listening (`server.close()`, Nest's `app.close()`). */
function serverClosing(req: IncomingMessage): boolean {
  const server = (req.socket as { server?: { listening?: boolean } } | null)?.server;
  return server?.listening === false;
}

/** How long an ended stream may take to reach a viewer before its socket is cut, ms. */
const END_GRACE_MS = 1_000;

/**
 * Writes events to `res`, never more than one ahead of the viewer: while it has not taken the last
 * one (a slow or stuck connection), only the newest result is kept, and written once it has. Each
 * event is a whole snapshot, so the skipped ones carry nothing the newest does not.
 */
function eventWriter(res: ServerResponse): (result: PollResult) => void {
  let waiting: PollResult | undefined;
  const write = (result: PollResult) => {
    if (!res.writableNeedDrain) {
      res.write(eventText(result));
      return;
    }
    if (waiting === undefined) {
      res.once('drain', () => {
        const next = waiting;
        waiting = undefined;
        if (next && !res.writableEnded) write(next);
      });
    }
    waiting = result;
  };
  return write;
}

/**
 * Ends the stream and its connection. A viewer that stopped reading would hold `server.close()` up
 * until TCP gives up on it (minutes), so its socket is cut {@link END_GRACE_MS} later.
 */
function endStream(res: ServerResponse): void {
  const socket = res.socket;
  res.end();
  if (!socket) return;
  socket.end();
  const cut = setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
  socket.once('close', () => clearTimeout(cut));
}

/**
 * Streams `selection`'s snapshots from `poll` to one viewer: an `update` (or, on an outage, a
 * `failure`) event each tick. The headers wait for the first result, so a bad selection (a name too
 * long) rejects with its ERR_INVALID_ARGUMENT and is answered 400, which an EventSource does not
 * retry, instead of a stream of failures forever.
 *
 * A stream never goes idle, so `server.close()` would wait for it forever: once the server stops
 * listening, the next tick ends it, or at the latest `intervalMs` later when Redis keeps the tick
 * waiting (the page reconnects elsewhere). A viewer that does not read holds at most one update in
 * the server's memory (see {@link eventWriter}).
 *
 * A HEAD request gets the stream's headers and its end at once, and is no viewer: it has no body
 * to stream to.
 *
 * @returns resolves once the stream is open, or the viewer left before its first result
 */
export function streamEvents(
  poll: SharedPoll,
  req: IncomingMessage,
  res: ServerResponse,
  selection: Selection | undefined,
): Promise<void> {
  if (req.method === 'HEAD') {
    writeHead(res);
    res.end();
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    let opened = false;
    const write = eventWriter(res);
    const join = poll.join(selection, (result) => {
      if (!opened) {
        if (!result.ok && isLockstepError(result.error, 'ERR_INVALID_ARGUMENT')) {
          opened = true;
          leave();
          reject(result.error);
          return;
        }
        if (!open()) return;
      }
      write(result);
      endIfClosing();
    });
    // Also between results: a tick that waits on a Redis that does not answer (until its request
    // timeout, 5 s by default) must not hold a graceful shutdown up.
    const watch = setInterval(() => endIfClosing(), poll.intervalMs).unref();
    const leave = () => {
      clearInterval(watch);
      join();
    };
    /** Sends the headers; false (and the viewer left) when the response cannot be a stream any more. */
    const open = (): boolean => {
      opened = true;
      if (res.destroyed) {
        gone();
        return false;
      }
      if (res.headersSent) {
        // The host answered it already (a timeout middleware, say): no stream to open on it.
        leave();
        res.end();
        resolve();
        return false;
      }
      writeHead(res);
      resolve();
      return true;
    };
    // A stream not open yet is opened to be ended: an EventSource retries a stream that ends (on
    // another instance, or this one restarted), not an error status.
    const endIfClosing = () => {
      if (!serverClosing(req)) return;
      leave();
      if (opened || open()) endStream(res);
    };
    // The page left (or the stream ended): stop counting it, whether it was open yet or not. Only
    // the response says so: a request emits 'close' as soon as its body was read (by a host
    // middleware, say), while the page is still connected.
    const gone = () => {
      leave();
      resolve();
    };
    res.on('close', gone);
  });
}
