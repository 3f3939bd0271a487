// Runs a TypeScript file in a child Node process (tsx), as a separate OS process of a test.
import { spawn } from 'node:child_process';

/** How a child process ended and what it printed. */
export interface TsxResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `file` with `node --import tsx`, passing `config` as JSON in argv[2], and resolves when it
 * exits. `killAfterMs`: SIGKILL by its own pid after this long (a hung child then ends with that signal).
 */
export function runTsx(
  file: string,
  config: object,
  options: { readonly killAfterMs?: number } = {},
): Promise<TsxResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const killer =
    options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}
