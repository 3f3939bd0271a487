// `lockstep ls`: every live lock and semaphore under the prefix.
import type { Connection } from '../connect.js';
import type { CliIo } from '../io.js';
import type { LsJson } from '../json.js';
import { renderList } from '../render.js';

/** Options of `ls`. */
export interface LsOptions {
  readonly json: boolean;
  /** `name` (default) or `waiters` (most waiters first). */
  readonly sort: 'name' | 'waiters';
}

/** Prints the list. */
export async function ls(connection: Connection, io: CliIo, options: LsOptions): Promise<void> {
  const names = await connection.admin.list();
  if (options.sort === 'waiters') names.sort((a, b) => b.waiters - a.waiters);
  const prefix = connection.admin.prefix;
  if (options.json) {
    const out: LsJson = { schema: 1, prefix, names };
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    io.stdout.write(`${renderList(prefix, names)}\n`);
  }
}
