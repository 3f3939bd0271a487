// The command line, parsed by commander: global connection options and the four commands.
import { isLockstepError } from '@lockstep/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseKind } from './commands/find-name.js';
import { inspect } from './commands/inspect.js';
import { ls } from './commands/ls.js';
import { release } from './commands/release.js';
import { watch } from './commands/watch.js';
import { type Connection, connect } from './connect.js';
import { CliError, EXIT_CODES, type ExitCode } from './exit-codes.js';
import { type CliIo, processIo } from './io.js';
import { refusalError } from './refusal.js';

interface GlobalOptions {
  redis: string;
  cluster: boolean;
  prefix: string;
  json: boolean;
}

function intervalMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 60_000) throw new InvalidArgumentError('expected 100 to 60000 (ms)');
  return n;
}

/** Connects (reconnecting after outages when `reconnect`: `watch`) and runs `fn` on the connection. */
type Run = (fn: (c: Connection, g: GlobalOptions) => Promise<void>, cmd: Command, reconnect?: boolean) => Promise<void>;

function build(io: CliIo, run: Run): Command {
  const program = new Command('lockstep')
    .description('See and operate Lockstep locks and semaphores on Redis')
    .version('0.1.0')
    .addOption(
      new Option('--redis <url>', 'Redis URL (any node of a Cluster)').default(
        io.env.REDIS_URL || 'redis://127.0.0.1:6379',
        'REDIS_URL, then redis://127.0.0.1:6379',
      ),
    )
    .option('--cluster', 'connect to a Redis Cluster through the --redis node', false)
    .option('--prefix <prefix>', 'Lockstep key prefix', 'lockstep')
    .option('--json', 'machine-readable output (stable, see the README)', false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  const kind = new Option('--kind <kind>', 'lock or semaphore, when both exist with this name').choices([
    'lock',
    'semaphore',
  ]);

  program
    .command('ls')
    .description('list every live lock and semaphore under the prefix')
    .addOption(
      new Option('--sort <order>', 'name, or waiters (most first)').choices(['name', 'waiters']).default('name'),
    )
    .action(function (this: Command) {
      return run((c, g) => ls(c, io, { json: g.json, sort: this.opts().sort }), this);
    });
  program
    .command('inspect <name>')
    .description('holders (fence, weight, granted, expiry) and waiters by priority')
    .addOption(kind)
    .action(function (this: Command, name: string) {
      return run((c, g) => inspect(c, io, name, { json: g.json, kind: parseKind(this.opts().kind) }), this);
    });
  program
    .command('watch <name>')
    .description(
      'live view of one name: redrawn in place on a terminal, a snapshot (or NDJSON with --json) per interval otherwise; Ctrl-C to quit',
    )
    .addOption(kind)
    .option('--interval <ms>', 'refresh period in ms', intervalMs, 1_000)
    .action(function (this: Command, name: string) {
      const o = this.opts();
      return run(
        (c, g) => watch(c, io, name, { kind: parseKind(o.kind), intervalMs: o.interval, json: g.json }),
        this,
        true,
      );
    });
  program
    .command('release <name>')
    .description('force-release: remove all holders, or one by --fence; the permit passes to the next waiter')
    .option('--force', 'required: you mean to take a lease from its holder', false)
    .option('--fence <fence>', 'only the holder with this fencing token')
    .option('--yes', 'do not ask for confirmation', false)
    .addOption(kind)
    .action(function (this: Command, name: string) {
      const o = this.opts();
      return run(
        (c, g) =>
          release(c, io, name, { force: o.force, fence: o.fence, yes: o.yes, json: g.json, kind: parseKind(o.kind) }),
        this,
      );
    });
  return program;
}

function exitCodeOf(err: unknown, io: CliIo): ExitCode {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  }
  let code: ExitCode;
  let message: string;
  if (err instanceof CliError) {
    code = err.exitCode;
    message = err.message;
  } else if (isLockstepError(err, 'ERR_INVALID_ARGUMENT')) {
    code = EXIT_CODES.usage;
    message = err.message;
  } else if (isLockstepError(err, 'ERR_REDIS')) {
    code = EXIT_CODES.unreachable;
    message = err.message;
  } else if (isLockstepError(err, 'ERR_INTERNAL')) {
    code = EXIT_CODES.unexpected;
    message = err.message;
  } else {
    throw err;
  }
  io.stderr.write(`lockstep: ${message}\n`);
  return code;
}

/**
 * Runs the `lockstep` command line and resolves with its exit code (it never calls `process.exit`).
 *
 * @param argv - the arguments after the executable and script, e.g. `['ls', '--json']`
 * @param io - streams, environment and stop signal @defaultValue the process's own
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  let connection: Connection | undefined;
  const run: Run = async (fn, cmd, reconnect = false) => {
    const g = cmd.optsWithGlobals() as GlobalOptions;
    connection = await connect({ redis: g.redis, cluster: g.cluster, prefix: g.prefix, reconnect });
    try {
      await fn(connection, g);
    } catch (err) {
      // A refused user is a bad --redis value (exit 2), not an outage (exit 3).
      throw refusalError(err, connection.where, g.prefix) ?? err;
    }
  };
  const program = build(io, run);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT_CODES.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_CODES.ok;
  } catch (err) {
    return exitCodeOf(err, io);
  } finally {
    await connection?.close();
  }
}
