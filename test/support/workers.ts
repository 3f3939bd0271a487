// Spawns contender-worker processes and collects their results.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig } from './contender-worker.js';

const WORKER = fileURLToPath(new URL('./contender-worker.ts', import.meta.url));

/** A running worker process. */
export interface WorkerHandle {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts one worker process (TypeScript through tsx). */
export function startWorker(config: WorkerConfig): WorkerHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Runs workers to completion; rejects if any exits non-zero. Returns their summaries. */
export async function runWorkers(configs: readonly WorkerConfig[]): Promise<{ grants: number; failures: number }[]> {
  const handles = configs.map(startWorker);
  const results = await Promise.all(handles.map((h) => h.done));
  return results.map((r, i) => {
    if (r.code !== 0) throw new Error(`worker ${configs[i]?.label} exited ${r.code ?? r.signal}: ${r.stderr}`);
    const last = r.stdout.trim().split('\n').at(-1) ?? '{}';
    return JSON.parse(last) as { grants: number; failures: number };
  });
}

const HOLDER = fileURLToPath(new URL('./holder-worker.ts', import.meta.url));

/** A holder-worker process and a way to wait for a line it prints. */
export interface HolderHandle {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line that starts with `prefix`. */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  /** kill -9; resolves when the process is gone. */
  kill(): Promise<void>;
}

/** Starts a holder-worker (takes a lock or permits, or waits for them, then idles until killed). */
export function startHolder(config: Record<string, unknown>): HolderHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      lines.push(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf('\n');
    }
    for (const listener of listeners) listener();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    waitFor: (prefix, timeoutMs = 20_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = lines.find((l) => l.startsWith(prefix));
          if (line === undefined) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(line);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`holder did not print "${prefix}" in time`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
