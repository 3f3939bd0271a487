// `lockstep watch <name>`: the detail view every interval until Ctrl-C. On a terminal it is redrawn
// in place; into a pipe or file it is one plain snapshot per interval (no escape codes), or with
// `--json` one `inspect --json` object per line (NDJSON). A name that does not exist is shown as
// such and still watched: it appears with its first holder or waiter.
import { setTimeout as sleep } from 'node:timers/promises';
import type { NameDetail, NameKind } from '@lockstep/core';
import type { Connection } from '../connect.js';
import type { CliIo } from '../io.js';
import { inspectJson } from '../json.js';
import { renderDetail, safe } from '../render.js';
import { findName } from './find-name.js';

/** Options of `watch`. */
export interface WatchOptions {
  readonly kind: NameKind | undefined;
  /** Refresh period, ms. */
  readonly intervalMs: number;
  /** NDJSON: one `inspect --json` object per interval (`{ "name", "found": false }` while absent). */
  readonly json: boolean;
}

// Cursor home, then clear the screen: the frame is redrawn in place, not scrolled.
const CLEAR = '\u001b[H\u001b[2J';

function frame(io: CliIo, prefix: string, name: string, detail: NameDetail | undefined, json: boolean): string {
  if (json) {
    const at = new Date().toISOString();
    return `${JSON.stringify(detail ? { at, ...inspectJson(prefix, detail) } : { at, name, found: false })}\n`;
  }
  const body = detail
    ? renderDetail(detail)
    : `no lock or semaphore named "${safe(name)}" yet: no holders, waiters or keys (still watching)`;
  const stamp = new Date().toISOString().slice(11, 19);
  if (io.stdout.isTTY) return `${CLEAR}lockstep watch  ${stamp} UTC  (Ctrl-C to quit)\n\n${body}\n`;
  return `lockstep watch  ${stamp} UTC\n${body}\n\n`;
}

/** Writes a frame every interval until `io.stopped` resolves or stdout closes (`watch x | head`). */
export async function watch(connection: Connection, io: CliIo, name: string, options: WatchOptions): Promise<void> {
  let stop = false;
  let failure: unknown;
  const stopping = new Promise<void>((resolve) => {
    io.stopped.then(resolve);
    // The reader went away (EPIPE): a normal end, not an error. Anything else is reported.
    io.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') failure = err;
      resolve();
    });
  }).then(() => {
    stop = true;
  });
  while (!stop) {
    const detail = await findName(connection.admin, name, options.kind);
    if (stop) break;
    io.stdout.write(frame(io, connection.admin.prefix, name, detail, options.json));
    await Promise.race([sleep(options.intervalMs), stopping]);
  }
  if (failure) throw failure;
}
