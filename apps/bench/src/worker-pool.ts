// The worker processes of the cross-process workloads: forked once per run, reused for every row,
// ended by their own pid at the end.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ToMain, ToWorker } from './worker-protocol.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export class Worker {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (m: ToMain) => void; reject: (e: Error) => void }>();
  /** Called for relay-acquired messages. */
  onRelayAcquired: ((side: number) => void) | undefined;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (raw: unknown) => {
      const message = raw as ToMain;
      if (message.type === 'relay-acquired') {
        this.onRelayAcquired?.(message.side);
        return;
      }
      if (message.type === 'hello') return;
      const waiter = this.#pending.get(message.id);
      if (!waiter) return;
      this.#pending.delete(message.id);
      if (message.type === 'failed') waiter.reject(new Error(message.error));
      else waiter.resolve(message);
    });
    child.on('exit', (code) => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`worker exited with ${code}`));
      this.#pending.clear();
    });
  }

  static start(): Promise<Worker> {
    // Inherits process.execArgv, so the tsx loader of the main process loads worker.ts too.
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker = new Worker(child);
    return new Promise((resolve, reject) => {
      child.once('message', () => resolve(worker));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`worker exited at start with ${code}`)));
    });
  }

  /** Sends a request with an id and resolves with the worker's answer to it. */
  request<T extends ToMain>(make: (id: number) => ToWorker): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: (m) => resolve(m as T), reject });
      this.child.send(make(id));
    });
  }

  post(message: ToWorker): void {
    this.child.send(message);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies ToWorker);
    const timer = setTimeout(() => this.child.kill('SIGTERM'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function startWorkers(count: number): Promise<Worker[]> {
  return await Promise.all(Array.from({ length: count }, () => Worker.start()));
}
