// `lockstep watch <name>`: the detail view, redrawn in place about every second until Ctrl-C.
import { setTimeout as sleep } from 'node:timers/promises';
import type { NameKind } from '@lockstep/core';
import type { Connection } from '../connect.js';
import type { CliIo } from '../io.js';
import { renderDetail, safe } from '../render.js';
import { findName } from './find-name.js';

/** Options of `watch`. */
export interface WatchOptions {
  readonly kind: NameKind | undefined;
  /** Refresh period, ms. */
  readonly intervalMs: number;
}

// Cursor home, then clear the screen: the frame is redrawn in place, not scrolled.
const CLEAR = '\u001b[H\u001b[2J';

/** Redraws until `io.stopped` resolves. A name that does not exist (yet) is shown as idle. */
export async function watch(connection: Connection, io: CliIo, name: string, options: WatchOptions): Promise<void> {
  let stop = false;
  io.stopped.then(() => {
    stop = true;
  });
  const stopping = io.stopped.then(() => undefined);
  while (!stop) {
    const detail = await findName(connection.admin, name, options.kind);
    const body = detail ? renderDetail(detail) : `"${safe(name)}": no holders, no waiters (idle or never used)`;
    const stamp = new Date().toISOString().slice(11, 19);
    io.stdout.write(`${CLEAR}lockstep watch  ${stamp} UTC  (Ctrl-C to quit)\n\n${body}\n`);
    await Promise.race([sleep(options.intervalMs), stopping]);
  }
}
