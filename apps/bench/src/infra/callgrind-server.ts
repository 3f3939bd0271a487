// A private redis-server under `valgrind --tool=callgrind`: instruction counts of the server are
// repeatable on a loaded machine, unlike its time. Stopped with SHUTDOWN NOSAVE so callgrind writes
// its output, whose `summary:` / `totals:` line gives the instructions of the whole run.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, portOpen } from '@lockstep/test-utils';

/**
 * Instructions executed (event `Ir`) from a callgrind output file's text: the `summary:` line, else
 * the `totals:` line, at the position of `Ir` in the `events:` line. Undefined when there is none.
 */
export function parseCallgrindTotal(text: string): number | undefined {
  const lines = text.split('\n');
  const events = lines
    .find((l) => l.startsWith('events:'))
    ?.slice('events:'.length)
    .trim()
    .split(/\s+/) ?? ['Ir'];
  const column = Math.max(0, events.indexOf('Ir'));
  for (const prefix of ['summary:', 'totals:']) {
    const line = lines.find((l) => l.startsWith(prefix));
    if (!line) continue;
    const value = Number(line.slice(prefix.length).trim().split(/\s+/)[column]);
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/** Whether `valgrind` can be run here. */
export function hasValgrind(): boolean {
  return spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** One redis-server running under callgrind; `stop()` returns the instructions of its whole life. */
export class CallgrindServer {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts the server with no persistence, `hz 1` and no jemalloc background thread, so little runs
   * that depends on wall time (a valgrind'ed server is slow, and its runs last different times).
   */
  static async start(): Promise<CallgrindServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-cg-'));
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${join(dir, 'callgrind.out')}`,
        'redis-server',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--hz',
        '1',
        '--dynamic-hz',
        'no',
        '--jemalloc-bg-thread',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    const server = new CallgrindServer(port, child, dir);
    for (let i = 0; i < 1_200; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server under callgrind (port ${port}) exited at start`);
      if (await portOpen(port)) return server;
      await sleep(50);
    }
    await server.stop().catch(() => undefined);
    throw new Error(`redis-server under callgrind (port ${port}) did not start in 60 s`);
  }

  /** SHUTDOWN NOSAVE, waits for callgrind to write its output, and returns the run's instruction count. */
  async stop(): Promise<number> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    spawnSync('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave'], { stdio: 'ignore', timeout: 30_000 });
    // A server that does not exit in time is killed by its own pid (callgrind then writes nothing).
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    try {
      const total = parseCallgrindTotal(readFileSync(join(this.dir, 'callgrind.out'), 'utf8'));
      if (total === undefined) throw new Error(`callgrind wrote no summary for port ${this.port}`);
      return total;
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
