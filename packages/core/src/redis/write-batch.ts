// Coalesces the commands Lockstep writes to one standalone connection in one turn of the event loop
// into socket writes of up to eight commands (WRITE_CHUNK). Replies arrive in batches under load, and
// each continuation sends the next script; requests of a server (HTTP, jobs) arrive as separate I/O
// events of one turn, each sending its own. A write system call each costs more client CPU than
// the script's whole JavaScript path. Same idea as ioredis' `enableAutoPipelining`, which also
// defers to `setImmediate` to catch the commands of several callbacks; the user's own commands on
// the client in that turn share the writes, in their order, and none waits past the turn.
// A lone caller (one command per turn, nothing in flight) is not corked: its command is written
// at once and reaches Redis while the caller's own code runs on. Only the uncontended fast paths
// are batched: a command a hand-off depends on is written at once (see flushWrites).
import type { Socket } from 'node:net';

/** What this file reads of a standalone ioredis client (all of it in ioredis' typings). */
interface StandaloneClient {
  readonly status?: string;
  readonly stream?: Socket;
  readonly commandQueue?: { readonly length: number };
}

/** Per connection: whether it is corked, and how many commands this turn and the last one carried. */
interface TurnState {
  corked: boolean;
  /** An end-of-turn callback is pending: this turn is being counted. */
  counting: boolean;
  /** Fast-path commands written in this turn (corked, or after a flush re-corked). */
  count: number;
  /** Commands the last counted turn carried. */
  last: number;
}

/**
 * Most commands corked at once. Corking a whole tick's burst (64 scripts) left Redis idle until the
 * tick ended and the client idle while Redis ran the batch: 33k pairs/s with 64 callers against 44k
 * with no batching, and 55k in chunks of 8 (4: 49k, 16: 52k, 32: 49k), medians of interleaved
 * rounds on one connection (Intel Xeon, Node and Redis on a core each).
 */
const WRITE_CHUNK = 8;

const states = new WeakMap<Socket, TurnState>();

/** Runs once per counted turn (a `setImmediate`): sends what is still corked, records the count. */
function endTurn(stream: Socket, state: TurnState): void {
  state.counting = false;
  state.last = state.count;
  if (!state.corked) return;
  state.corked = false;
  stream.uncork();
}

/**
 * Called before Lockstep writes a command that a waiter's hand-off depends on (a full acquire,
 * release, extension or heartbeat): if the socket is corked, what it holds goes out now, and the
 * command after it, so a hand-off never waits for the end of a turn.
 */
export function flushWrites(client: object): void {
  const stream = (client as StandaloneClient).stream;
  if (stream === undefined) return;
  const state = states.get(stream);
  if (state === undefined || !state.corked) return;
  state.corked = false;
  stream.uncork();
}

/**
 * Called before Lockstep writes an uncontended fast-path command to `client`. Corks a standalone,
 * connected client's socket until the current turn of the event loop ends (`setImmediate`) or
 * WRITE_CHUNK commands are corked (Node sends them with one `writev`), unless this command is
 * likely alone: nothing is in flight on the connection and the last counted turn carried one
 * command. A Cluster, or a client that is not ready (ioredis queues its commands itself), is left
 * alone.
 */
export function batchWrites(client: object): void {
  const { status, stream, commandQueue } = client as StandaloneClient;
  if (status !== 'ready' || stream === undefined || typeof stream.cork !== 'function') return;
  let state = states.get(stream);
  if (state === undefined) {
    state = { corked: false, counting: false, count: 0, last: 0 };
    states.set(stream, state);
  }
  if (state.corked) {
    // Every WRITE_CHUNK commands go out at once: Redis starts on them while the rest are made.
    if (state.count % WRITE_CHUNK === 0) {
      stream.uncork();
      stream.cork();
    }
    state.count++;
    return;
  }
  if (!state.counting) {
    if (state.last === 1 && (commandQueue?.length ?? 0) === 0) return;
    // One callback per turn, even when a flush uncorks in between and a later command corks again.
    state.counting = true;
    state.count = 0;
    setImmediate(endTurn, stream, state);
  }
  state.count++;
  state.corked = true;
  stream.cork();
}
