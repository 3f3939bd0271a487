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
