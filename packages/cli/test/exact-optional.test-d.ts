// Type-level checks, compiled with `exactOptionalPropertyTypes: true` (test/tsconfig.exact-optional.json,
// run by `pnpm typecheck`), as `tsc --init` sets it: every optional option takes `T | undefined`.
import { PassThrough } from 'node:stream';
import { type CliIo, main } from '../src/index.js';

/** A config value that may be absent. */
declare function maybe<T>(value: T): T | undefined;

const io: CliIo = {
  stdout: Object.assign(new PassThrough(), { isTTY: maybe(false), columns: maybe(80) }),
  stderr: new PassThrough(),
  stdin: Object.assign(new PassThrough(), { isTTY: maybe(false) }),
  env: { REDIS_URL: maybe('redis://localhost') },
  stopped: new Promise<void>(() => undefined),
};
void main(['ls', '--json'], io);

// @ts-expect-error `columns` is a number, undefined or absent
const bad: CliIo = { ...io, stdout: Object.assign(new PassThrough(), { columns: maybe('80') }) };
void bad;
