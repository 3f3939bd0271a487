// `lockstep inspect <name>`: holders, waiters by priority, expiry.
import type { NameKind } from '@lockstep/core';
import type { Connection } from '../connect.js';
import type { CliIo } from '../io.js';
import { inspectJson } from '../json.js';
import { renderDetail } from '../render.js';
import { findName, notFound } from './find-name.js';

/** Options of `inspect`. */
export interface InspectOptions {
  readonly json: boolean;
  readonly kind: NameKind | undefined;
}

/** Prints one snapshot; exit 1 when the name does not exist. */
export async function inspect(connection: Connection, io: CliIo, name: string, options: InspectOptions): Promise<void> {
  const detail = await findName(connection.admin, name, options.kind);
  if (!detail) throw notFound(name);
  const out = options.json ? JSON.stringify(inspectJson(connection.admin.prefix, detail)) : renderDetail(detail);
  io.stdout.write(`${out}\n`);
}
