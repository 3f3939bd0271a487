// The `lockstep` executable.
import { EXIT_CODES } from './exit-codes.js';
import { main } from './program.js';

// The reader of a pipe went away (`lockstep ls | head`): stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Ctrl-C handlers of `watch` must not keep a finished command alive.
    process.exit();
  },
  (err: unknown) => {
    process.stderr.write(
      `lockstep: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(EXIT_CODES.unexpected);
  },
);
