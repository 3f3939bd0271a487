// Private redis-server processes on free loopback ports: started fresh, stopped by their own pid.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One redis-server this benchmark started. */
export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  readonly url: string;
}

interface Running extends RedisServer {
  readonly child: ChildProcess;
  readonly dir: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The redis-server version string, or undefined when none is installed. */
export function redisServerVersion(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) return undefined;
  return /v=(\S+)/.exec(found.stdout)?.[1];
}

/** Starts and stops the servers of one benchmark run. */
export class RedisServers {
  readonly #running: Running[] = [];

  /**
   * @param cpu - CPU list to pin the servers to with taskset (undefined: no pinning)
   */
  constructor(private readonly cpu: string | undefined) {}

  /** Starts one server with no persistence in a fresh temp dir, and waits until it accepts connections. */
  async start(): Promise<RedisServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const child =
      this.cpu === undefined
        ? spawn('redis-server', args, { stdio: 'ignore' })
        : spawn('taskset', ['-c', this.cpu, 'redis-server', ...args], { stdio: 'ignore' });
    if (child.pid === undefined) throw new Error('could not spawn redis-server');
    const server: Running = { port, pid: child.pid, url: `redis://127.0.0.1:${port}`, child, dir };
    this.#running.push(server);
    for (let i = 0; i < 400; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited at start`);
      if (await portOpen(port)) return server;
      await sleep(25);
    }
    throw new Error(`redis-server on port ${port} did not start`);
  }

  /** Shuts every server down (SHUTDOWN NOSAVE, then our own pid if needed) and waits for the ports to close. */
  async stopAll(): Promise<void> {
    const servers = this.#running.splice(0);
    await Promise.all(servers.map((server) => stop(server)));
  }
}

async function stop(server: Running): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (server.child.exitCode !== null) resolve();
    else server.child.once('exit', () => resolve());
  });
  spawnSync('redis-cli', ['-p', String(server.port), 'shutdown', 'nosave'], { stdio: 'ignore', timeout: 5_000 });
  const timedOut = await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)]);
  // taskset execs redis-server, so the pid we spawned is the server's own.
  if (timedOut) server.child.kill('SIGKILL');
  await exited;
  for (let i = 0; i < 200 && (await portOpen(server.port)); i++) await sleep(25);
  rmSync(server.dir, { recursive: true, force: true });
}
