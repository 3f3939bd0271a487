// Starts the demo's child processes, reads their output lines, and stops them by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type DemoEvent, parseEvent } from '../evidence.js';

const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

/** A started child: its pid, and a promise of its exit. */
export interface Child {
  readonly label: string;
  readonly pid: number;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Resolves when the child printed `READY`. */
  readonly ready: Promise<void>;
  /** Its last lines of stderr, for the error message when it dies. */
  stderrTail(): string;
}

/** Where events and unexpected output go. */
export interface ChildSink {
  onEvent(event: DemoEvent): void;
  onExit(child: Child, code: number | null): void;
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      onLine(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf('\n');
    }
  });
}

/**
 * Runs `script` (a TypeScript file of this app) in its own Node process through tsx, with `config` as
 * its JSON argument. Its stdin is a pipe it watches: when this process dies, the child exits too.
 */
export function startChild(label: string, script: string, config: object, sink: ChildSink): Child {
  const file = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, NODE_OPTIONS: '' },
  });
  if (child.pid === undefined) throw new Error(`could not start ${label}`);
  const tail: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: Child = {
    label,
    pid: child.pid,
    process: child,
    exited,
    ready,
    stderrTail: () => tail.join('\n'),
  };
  lines(child.stdout, (line) => {
    if (line === 'READY') return markReady();
    const event = parseEvent(line);
    if (event) sink.onEvent(event);
  });
  lines(child.stderr, (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
  });
  child.stdin.on('error', () => undefined);
  void exited.then((code) => sink.onExit(handle, code));
  return handle;
}

/** Waits until `child` is ready, or throws with its stderr if it exits first or takes too long. */
export async function whenReady(child: Child, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    void child.exited.then((code) =>
      reject(new Error(`${child.label} exited (${code}) at start:\n${child.stderrTail()}`)),
    );
    timer = setTimeout(
      () => reject(new Error(`${child.label} not ready after ${timeoutMs} ms:\n${child.stderrTail()}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([child.ready, failed]);
  } finally {
    clearTimeout(timer);
  }
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops one child by its pid: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 8_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}
