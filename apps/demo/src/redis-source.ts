// Finds a Redis for the demo: REDIS_URL if set, else a private redis-server from PATH on a free port.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the demo's Redis is, and how to stop it if we started it. */
export interface RedisSource {
  readonly url: string;
  readonly description: string;
  /** The pid of the redis-server we started, if we started one. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

const HELP = `No Redis available. Either:
  - set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379 pnpm demo
  - install redis-server: sudo apt-get install -y redis-server   (Debian/Ubuntu)
                          brew install redis                     (macOS)
  - or run one in Docker: docker compose up -d   (from the repository root)`;

/** A free port on 127.0.0.1 (free when asked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error('redis-server exited at start');
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('redis-server did not start');
}

/** REDIS_URL, or a private redis-server; exits with instructions when neither can be had. */
export async function findRedis(): Promise<RedisSource> {
  const url = process.env.REDIS_URL;
  if (url) return { url, description: `REDIS_URL (${url})`, pid: undefined, stop: async () => undefined };
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    console.error(HELP);
    process.exit(2);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-demo-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    // Its own process group: a Ctrl-C in the terminal reaches the demo, which stops the API and the
    // workers first (they need Redis to close cleanly), then this server, by pid.
    { stdio: 'ignore', detached: true },
  );
  await waitForPort(port, child);
  return {
    url: `redis://127.0.0.1:${port}`,
    description: `a private redis-server on 127.0.0.1:${port} (set REDIS_URL to use your own)`,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
