// `lockstep watch <name>`: the detail view every interval until Ctrl-C. On a terminal it is redrawn
// in place; into a pipe or file it is one plain snapshot per interval (no escape codes), or with
// `--json` one `inspect --json` object per line (NDJSON). A name that does not exist is shown as
// such and still watched: it appears with its first holder or waiter. Redis lost mid-watch is shown
// as such too, until the connection (which reconnects by itself) brings snapshots again.
import { setTimeout as sleep } from 'node:timers/promises';
import { isLockstepError, isRedisRefusal, type NameDetail, type NameKind } from '@lockstep/core';
import type { Connection } from '../connect.js';
import type { CliIo } from '../io.js';
import { findName } from './find-name.js';
import { clock, type FrameTarget, type Outage, outageFrame, snapshotFrame } from './watch-frame.js';

/** Options of `watch`. */
export interface WatchOptions {
  readonly kind: NameKind | undefined;
  /** Refresh period, ms. */
  readonly intervalMs: number;
  /**
   * NDJSON: one `inspect --json` object per interval (`{ "name", "found": false }` while absent,
   * `{ "name", "unreachable": true, ... }` while Redis is).
   */
  readonly json: boolean;
}

/** The end of a watch: Ctrl-C/SIGTERM or the reader going away; `failure` if stdout broke otherwise. */
interface Stop {
  readonly promise: Promise<'stopped'>;
  readonly requested: () => boolean;
  readonly failure: () => unknown;
}

function stopOf(io: CliIo): Stop {
  let requested = false;
  let failure: unknown;
  const promise = new Promise<'stopped'>((resolve) => {
    io.stopped.then(() => resolve('stopped'));
    // The reader went away (EPIPE): a normal end, not an error. Anything else is reported.
    io.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') failure = err;
      resolve('stopped');
    });
  }).then((stopped) => {
    requested = true;
    return stopped;
  });
  return { promise, requested: () => requested, failure: () => failure };
}

type Snapshot = { readonly detail: NameDetail | undefined } | { readonly error: unknown };

/** A snapshot asked for and not answered yet. */
interface Pending {
  readonly asked: number;
  readonly result: Promise<Snapshot>;
}

/**
 * A snapshot unanswered this long (ms) shows Redis as unreachable while it is awaited further
 * (core's admin gives up on it after 5 s).
 */
export const LATE_MS = 2_000;

// Never rejects: a stop that wins the race must not leave a rejection behind.
function take(connection: Connection, name: string, kind: NameKind | undefined): Pending {
  const result = findName(connection.admin, name, kind).then(
    (detail) => ({ detail }),
    (error: unknown) => ({ error }),
  );
  return { asked: Date.now(), result };
}

const never = new Promise<never>(() => undefined);

// Unref'd: a timer still running when the watch ends must not keep the process (or `main()`'s caller) alive.
const pause = (ms: number) => sleep(ms, undefined, { ref: false });

/** The frames of one watch: a snapshot each interval, or the outage that keeps it from coming. */
class Watcher {
  #lastSnapshotAt: number | undefined;
  #outage: Outage | undefined;
  #pending: Pending | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly name: string,
    private readonly options: WatchOptions,
    private readonly target: FrameTarget,
  ) {}

  /** The next frame, or undefined when `stop` came first. */
  async next(stop: Promise<'stopped'>): Promise<string | undefined> {
    const seen = this.#lastSnapshotAt !== undefined;
    // While the client reconnects nothing new is asked: a request would only wait in its queue.
    // Refused on reconnecting (the password was changed): no reconnection fixes that.
    const refused = seen ? this.connection.refusal() : undefined;
    if (refused) throw refused;
    const down = seen ? this.connection.problem() : undefined;
    if (down !== undefined) return this.#down(Date.now(), down);
    this.#pending ??= take(this.connection, this.name, this.options.kind);
    const pending = this.#pending;
    // In an outage already, an answer not there at once leaves the outage shown another interval.
    const patience = this.#outage ? 0 : Math.max(0, pending.asked + LATE_MS - Date.now());
    const late = seen ? pause(patience).then(() => 'late' as const) : never;
    const outcome = await Promise.race([pending.result, late, stop]);
    if (outcome === 'stopped') return undefined;
    if (outcome === 'late') return this.#down(pending.asked, `asked at ${clock(pending.asked)} UTC, no answer yet`);
    this.#pending = undefined;
    if ('error' in outcome) {
      // A refusal (an ACL rule revoked) ends the watch: no reconnection fixes it.
      if (!seen || !isLockstepError(outcome.error, 'ERR_REDIS') || isRedisRefusal(outcome.error)) throw outcome.error;
      return this.#down(pending.asked, this.connection.problem() ?? outcome.error.message);
    }
    this.#lastSnapshotAt = Date.now();
    this.#outage = undefined;
    return snapshotFrame(this.target, this.connection.admin.prefix, this.name, outcome.detail, this.#lastSnapshotAt);
  }

  #down(since: number, error: string): string {
    const lastSnapshotAt = this.#lastSnapshotAt ?? since;
    this.#outage = { since: this.#outage?.since ?? since, lastSnapshotAt, error };
    return outageFrame(this.target, this.connection.where, this.name, this.#outage);
  }
}

/**
 * Writes a frame every interval until `io.stopped` resolves or stdout closes (`watch x | head`).
 * Once a first snapshot came, Redis going away is shown as an outage frame each interval (the
 * client is not connected, a snapshot is unanswered after {@link LATE_MS}, or it failed with
 * `ERR_REDIS`) and the watch goes on, asking again once the client has reconnected; any other
 * error ends it.
 */
export async function watch(connection: Connection, io: CliIo, name: string, options: WatchOptions): Promise<void> {
  const stop = stopOf(io);
  const watcher = new Watcher(connection, name, options, { tty: io.stdout.isTTY === true, json: options.json });
  while (!stop.requested()) {
    const frame = await watcher.next(stop.promise);
    if (frame === undefined || stop.requested()) break;
    io.stdout.write(frame);
    await Promise.race([pause(options.intervalMs), stop.promise]);
  }
  if (stop.failure()) throw stop.failure();
}
