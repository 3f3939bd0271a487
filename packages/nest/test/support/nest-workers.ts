// Starts nest-worker processes, talks to them over stdin and reads their stdout lines.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig } from '../fixtures/nest-worker.js';

const WORKER = fileURLToPath(new URL('../fixtures/nest-worker.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const CLOCK_SHIFT = fileURLToPath(new URL('../fixtures/clock-shift.mjs', import.meta.url));

/** True when Debian's `faketime` (libfaketime) is on PATH. */
export const hasFaketime = process.env.LOCKSTEP_NO_FAKETIME
  ? false
  : spawnSync('faketime', ['-f', '+0', 'true']).status === 0;

/** A running worker. */
export interface NestWorker {
  readonly child: ChildProcess;
  readonly lines: string[];
  send(line: string): void;
  /** Resolves with the first line starting with `prefix` after line index `from`. */
  waitFor(prefix: string, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Resolves with the exit code once the process is gone. */
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/**
 * Starts a worker. `clockShiftMs` moves its wall clock (Date, and so @Cron) by that much, with
 * libfaketime when installed (its monotonic clock stays true), else with a preload that offsets Date.
 */
export function startNestWorker(config: WorkerConfig, clockShiftMs = 0): NestWorker {
  const node = [process.execPath, '--import', 'tsx'];
  let command = node;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', TSX_TSCONFIG_PATH: TSCONFIG };
  if (clockShiftMs !== 0 && hasFaketime) {
    command = ['faketime', '-f', `${clockShiftMs >= 0 ? '+' : ''}${(clockShiftMs / 1000).toFixed(3)}`, ...node];
    env.FAKETIME_DONT_FAKE_MONOTONIC = '1';
  } else if (clockShiftMs !== 0) {
    command = [...node, '--import', CLOCK_SHIFT];
    env.LOCKSTEP_TEST_CLOCK_SHIFT_MS = String(clockShiftMs);
  }
  const child = spawn(command[0] as string, [...command.slice(1), WORKER, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      lines.push(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf('\n');
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => {
    for (const listener of [...listeners]) listener();
  });
  return {
    child,
    lines,
    send: (line) => child.stdin?.write(`${line}\n`),
    stderr: () => errors,
    exited,
    waitFor: (prefix, { from = 0, timeoutMs = 60_000 } = {}) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = lines.slice(from).find((l) => l.startsWith(prefix));
          const failed = lines.find((l) => l.startsWith('ERROR'));
          if (line === undefined && failed === undefined && child.exitCode === null) return;
          listeners.delete(check);
          clearTimeout(timer);
          if (line !== undefined) resolve(line);
          else reject(new Error(`${config.label} ended before "${prefix}": ${failed ?? ''} ${errors.slice(-2000)}`));
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`${config.label} did not print "${prefix}" in ${timeoutMs} ms; stderr: ${errors.slice(-2000)}`),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

/** Sends `stop` and checks the process exits by itself (no handle left open) within `timeoutMs`. */
export async function stopNestWorker(worker: NestWorker, timeoutMs = 20_000): Promise<number | null> {
  worker.send('stop');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), timeoutMs);
  const code = await worker.exited;
  clearTimeout(timer);
  return code;
}
