// Where the CLI reads and writes: the process by default, replaceable for embedding.

/** The streams and environment one CLI run uses. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean | undefined; columns?: number | undefined };
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean | undefined };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the user asks to stop a long-running command (`watch`): SIGINT/SIGTERM by default. */
  readonly stopped: Promise<void>;
}

/** The process's own streams and signals. */
export function processIo(): CliIo {
  // Handlers only once a command asks (`watch`): installed for every command, they turned the first
  // Ctrl-C or SIGTERM into a no-op for one still connecting or waiting on Redis.
  let stopped: Promise<void> | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    get stopped() {
      stopped ??= new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return stopped;
    },
  };
}
