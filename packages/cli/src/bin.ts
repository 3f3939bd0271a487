// The `lockstep` executable.
import { main } from './program.js';

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
    process.exit(70);
  },
);
