// `lockstep release <name> --force [--fence F] [--yes]`: force-release through core's Lua script.
import { createInterface } from 'node:readline/promises';
import type { NameKind } from '@lockstep/core';
import type { Connection } from '../connect.js';
import { CliError, EXIT_CODES } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { ReleaseJson } from '../json.js';
import { safe } from '../render.js';
import { findName, notFound } from './find-name.js';

/** Options of `release`. */
export interface ReleaseOptions {
  readonly force: boolean;
  readonly fence: string | undefined;
  readonly yes: boolean;
  readonly json: boolean;
  readonly kind: NameKind | undefined;
}

async function confirm(io: CliIo, question: string): Promise<boolean> {
  if (!io.stdin.isTTY) {
    throw new CliError(
      EXIT_CODES.usage,
      'refusing to force-release without confirmation: pass --yes (stdin is not a terminal)',
    );
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    // Ctrl-C at the prompt rejects the question (AbortError): an answer of "no", not a crash.
    const answer = await rl.question(`${question} [y/N] `).catch(() => '');
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Removes the holder(s); exit 1 when nothing matched. */
export async function release(connection: Connection, io: CliIo, name: string, options: ReleaseOptions): Promise<void> {
  if (!options.force) {
    throw new CliError(EXIT_CODES.usage, 'release takes a lease from its holder: pass --force to confirm you mean it');
  }
  if (options.fence !== undefined && !/^[1-9][0-9]{0,19}$/.test(options.fence)) {
    throw new CliError(EXIT_CODES.usage, `--fence: expected a positive integer, got ${JSON.stringify(options.fence)}`);
  }
  const detail = await findName(connection.admin, name, options.kind);
  if (!detail) throw notFound(name);
  const which =
    options.fence === undefined ? `all ${detail.holders} holder(s)` : `the holder with fence ${options.fence}`;
  if (!options.yes && !(await confirm(io, `Force-release ${which} of ${detail.kind} "${safe(name)}"?`))) {
    throw new CliError(EXIT_CODES.usage, 'not confirmed; nothing released');
  }
  const released = await connection.admin.forceRelease(
    detail.kind,
    name,
    options.fence === undefined ? {} : { fence: options.fence },
  );
  if (options.json) {
    const out: ReleaseJson = {
      schema: 1,
      prefix: connection.admin.prefix,
      kind: detail.kind,
      name,
      fence: options.fence === undefined ? null : Number(options.fence),
      released,
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    io.stdout.write(`released ${released} holder(s) of ${detail.kind} "${safe(name)}"\n`);
  }
  if (released === 0) {
    throw new CliError(
      EXIT_CODES.notFound,
      `no holder of "${safe(name)}" matched${options.fence ? ` fence ${options.fence}` : ''}`,
    );
  }
}
