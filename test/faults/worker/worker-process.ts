// The parent's handle on one fault worker process: spawn, commands over IPC, and the process faults
// (kill -9, SIGSTOP/SIGCONT, a blocked event loop), each recorded in the parent's history.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type HistoryWriter, hostNow } from '../../support/history.js';
import type { Command, FaultWorkerConfig, Reply, WorkerMessage, WorkerSummary } from './protocol.js';
import { UNHANDLED_EXIT_CODE } from './protocol.js';

const ENTRY = fileURLToPath(new URL('./fault-worker.ts', import.meta.url));
const live = new Set<ChildProcess>();

// A parent that dies must not leave its workers behind: kill our own children by pid.
process.once('exit', () => {
  for (const child of live) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
});

/** How a worker ended. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly summary: WorkerSummary | undefined;
  readonly stderr: string;
  /** True when the worker died of an unhandled rejection. */
  readonly unhandled: boolean;
  /** True when the parent killed it on purpose. */
  readonly killed: boolean;
}

/** A running worker. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<WorkerExit>;
  readonly ready: Promise<void>;
  /** Losses the worker reported, by lease id, with host time. */
  readonly lost = new Map<string, number>();
  #seq = 0;
  #pending = new Map<number, (reply: Reply) => void>();
  #killed = false;

  constructor(
    readonly config: FaultWorkerConfig,
    private readonly log: HistoryWriter,
  ) {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child = child;
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    let markReady: () => void = () => undefined;
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') markReady();
      else if (message.type === 'lost') this.lost.set(message.id, message.t);
      else if (message.type === 'reply') {
        this.#pending.get(message.seq)?.(message.reply);
        this.#pending.delete(message.seq);
      }
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        markReady();
        for (const answer of this.#pending.values()) answer({ ok: false, code: 'WORKER_EXITED', t: hostNow() });
        this.#pending.clear();
        const last = stdout.trim().split('\n').at(-1);
        let summary: WorkerSummary | undefined;
        try {
          summary = last ? (JSON.parse(last) as WorkerSummary) : undefined;
        } catch {
          summary = undefined;
        }
        const unhandled = code === UNHANDLED_EXIT_CODE || stderr.includes('UNHANDLED_REJECTION');
        resolve({ code, signal, summary, stderr, unhandled, killed: this.#killed });
      });
    });
  }

  get label(): string {
    return this.config.label;
  }

  /** Sends a command and resolves with the worker's answer (or WORKER_EXITED). */
  request(command: Command): Promise<Reply> {
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      this.#pending.set(seq, resolve);
      if (!this.child.connected) {
        this.#pending.delete(seq);
        resolve({ ok: false, code: 'WORKER_EXITED', t: hostNow() });
        return;
      }
      this.child.send({ seq, command });
    });
  }

  /** kill -9, recorded at the moment the signal was sent. */
  kill(): void {
    this.#killed = true;
    this.log.write({ e: 'process', w: this.label, t: killNow(this.child), what: 'killed' });
  }

  /** SIGSTOP: the process keeps its sockets but runs nothing. */
  pause(): void {
    this.log.write({ e: 'process', w: this.label, t: hostNow(), what: 'paused' });
    this.child.kill('SIGSTOP');
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.child.kill('SIGCONT');
    this.log.write({ e: 'process', w: this.label, t: hostNow(), what: 'resumed' });
  }

  /** Blocks the worker's event loop for `ms` (recorded as a pause), resolving when it unblocks. */
  async block(ms: number): Promise<void> {
    this.log.write({ e: 'process', w: this.label, t: hostNow(), what: 'paused' });
    const reply = await this.request({ op: 'block', ms });
    this.log.write({ e: 'process', w: this.label, t: reply.t, what: 'resumed' });
  }

  /** Asks a puppet (or a load loop) to finish, and waits for the exit, killing it after `graceMs`. */
  async stop(graceMs = 15_000): Promise<WorkerExit> {
    void this.request({ op: 'stop' });
    const timer = setTimeout(() => this.kill(), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/**
 * Sends SIGKILL (after SIGCONT, so a paused process dies too) and returns the time just after:
 * everything the process recorded happened before it. A time taken before the signal would let a
 * grant recorded in between look like one made after the kill, and so never released.
 */
export function killNow(child: ChildProcess): number {
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  return hostNow();
}

/** Starts a worker and waits until it is connected and listening for commands. */
export async function startWorker(config: FaultWorkerConfig, log: HistoryWriter): Promise<WorkerProcess> {
  const worker = new WorkerProcess(config, log);
  await worker.ready;
  return worker;
}
