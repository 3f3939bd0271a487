// Shutdown of a child process: on SIGTERM, on Ctrl-C, or when the orchestrator goes away (its stdin
// pipe closes), run `close` once, then exit; never linger past `graceMs`.

/** Calls `close` once on the first stop reason, then exits the process. */
export function onStop(close: () => Promise<void>, graceMs = 6_000): void {
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code), graceMs).unref();
    close().then(
      () => process.exit(code),
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop(0));
  process.once('SIGINT', () => stop(0));
  process.stdin.on('end', () => stop(0));
  process.stdin.on('error', () => stop(0));
  process.stdin.resume();
}

/** Reads the JSON config the orchestrator passes as the first argument. */
export function configArg<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}
