// Spawns and controls real redis-server processes on free loopback ports, each in a fresh temp dir.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, LOOPBACK as HOST, portOpen } from './ports.js';

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Fixed port; a free one is picked when omitted. */
  readonly port?: number;
  /** Start with `--cluster-enabled yes`. */
  readonly cluster?: boolean;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  readonly args?: readonly string[];
  /**
   * CPU list to pin the server to with `taskset -c` (e.g. `'1'` or `'0,1'`), as the bench does so the
   * server and the clients do not share a core. taskset execs redis-server, so {@link RedisServer.pid}
   * stays the server's own. Default: no pinning.
   */
  readonly cpu?: string;
  /**
   * Spawn the server in its own process group, so a Ctrl-C in the terminal does not reach it and the
   * caller can stop its other children (which need Redis to close cleanly) first, as the demo does.
   * Default: false.
   */
  readonly detached?: boolean;
}

const started = new Set<RedisServer>();

// A test process that dies must not leave its servers behind: kill our own children by pid.
process.once('exit', () => {
  for (const server of started) server.killSync();
});

/** Binary used for every spawned server; `REDIS_SERVER_BIN` overrides it. */
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** The version of {@link REDIS_SERVER_BIN} (e.g. `7.0.15`), or undefined when none is installed. */
export function redisServerVersion(): string | undefined {
  const found = spawnSync(REDIS_SERVER_BIN, ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) return undefined;
  return /v=(\S+)/.exec(found.stdout)?.[1];
}

/** Resolves true once `child` has exited (and was reaped), false after `timeoutMs`. */
function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

let debugFlag: boolean | undefined;
/** Whether this redis-server knows `--enable-debug-command` (Redis 7 and later); asked once. */
function debugFlagKnown(): boolean {
  debugFlag ??= Number(redisServerVersion()?.split('.')[0] ?? 7) >= 7;
  return debugFlag;
}

/** Sends one inline command over a raw socket and returns the first reply line. */
export function rawCommand(port: number, command: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw command ${command} on ${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.split('\r\n')[0] ?? '');
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      if (!data.includes('\r\n')) resolve(data);
    });
  });
}

/** The pid of the redis-server answering on `port` (INFO's `process_id`), or undefined. */
function answeringPid(port: number, timeoutMs = 1_000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    let data = '';
    const done = (pid: number | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(pid);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const match = /\r\nprocess_id:(\d+)\r\n/.exec(data);
      if (match) done(Number(match[1]));
    });
    socket.once('error', () => done(undefined));
    socket.once('close', () => done(undefined));
  });
}

/** A redis-server process this harness started; it is stopped by pid or SHUTDOWN, never by name. */
export class RedisServer {
  readonly host = HOST;
  #child: ChildProcess | undefined;
  #dir: string;
  #stopped = false;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    this.#dir = mkdtempSync(join(tmpdir(), `lockstep-redis-${port}-`));
  }

  /** Spawns a server and resolves once it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = options.port ?? (await freePort());
      const server = new RedisServer(port, options);
      try {
        await server.#spawn();
        started.add(server);
        return server;
      } catch (err) {
        lastError = err;
        await server.stop();
        if (options.port !== undefined) break;
      }
    }
    throw new Error(`could not start redis-server: ${String(lastError)}`);
  }

  /** `redis://127.0.0.1:PORT`. */
  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  /** The pid of the running process, if any. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True while the process is running (it may be paused). */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async #spawn(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.#dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      '--repl-diskless-sync-delay',
      '0',
      '--repl-diskless-sync',
      'yes',
    ];
    // DEBUG (for tests that need it) is off by default from Redis 7; the flag is unknown before 7.
    if (debugFlagKnown()) args.push('--enable-debug-command', 'local');
    if (this.options.cluster) {
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1500');
    }
    args.push(...(this.options.args ?? []));
    const [command, argv] =
      this.options.cpu === undefined
        ? [REDIS_SERVER_BIN, args]
        : ['taskset', ['-c', this.options.cpu, REDIS_SERVER_BIN, ...args]];
    const child = spawn(command, argv, {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: this.options.detached ?? false,
    });
    this.#child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) =>
        reject(new Error(`redis-server exited early (${code ?? signal}): ${stderr}`)),
      );
      child.once('error', reject);
    });
    exited.catch(() => undefined);
    await Promise.race([this.#waitReady(), exited]);
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        const reply = await rawCommand(this.port, 'PING', 500);
        // Only our own process counts: another one on the port (a free port drawn by two test
        // files at once) would answer while ours fails to bind and exits.
        if (reply === '+PONG' && (await answeringPid(this.port)) === this.#child?.pid) return;
      } catch {
        // not up yet
      }
      await sleep(20);
    }
    throw new Error(`redis-server on ${this.port} did not become ready`);
  }

  async #waitPortClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await portOpen(this.port))) return true;
      await sleep(20);
    }
    return false;
  }

  /** SHUTDOWN NOSAVE, falling back to SIGKILL of our own pid; waits for the port to close. */
  async stop(): Promise<void> {
    this.#stopped = true;
    started.delete(this);
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      await rawCommand(this.port, 'SHUTDOWN NOSAVE', 1_000).catch(() => undefined);
      if (!(await this.#waitPortClosed(3_000))) child.kill('SIGKILL');
      await this.#waitPortClosed(3_000);
      // The port closes before the process is gone and reaped: wait for its exit, so a caller that
      // checks the pid (the demo's "none left running") never sees it.
      if (!(await waitExit(child, 3_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 3_000);
      }
    }
    this.#child = undefined;
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** Synchronous SIGKILL of our own child, for process exit. */
  killSync(): void {
    this.#child?.kill('SIGCONT');
    this.#child?.kill('SIGKILL');
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** kill -9 of the server process; waits for the port to close. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#waitPortClosed(5_000);
    await waitExit(child, 5_000);
    this.#child = undefined;
  }

  /**
   * Starts the server again on the same port with an empty dataset (nothing is persisted).
   * `keepDir` keeps the directory, so a cluster node finds its `nodes.conf` and rejoins.
   */
  async restart(options: { readonly keepDir?: boolean } = {}): Promise<void> {
    if (this.running) await this.kill();
    if (this.#stopped) throw new Error('server was stopped for good');
    if (!options.keepDir) {
      rmSync(this.#dir, { recursive: true, force: true });
      this.#dir = mkdtempSync(join(tmpdir(), `lockstep-redis-${this.port}-`));
    }
    await this.#spawn();
  }

  /** SIGSTOP: the server stops answering but keeps its connections. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }
}

/** Starts a standalone server. */
export function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  return RedisServer.start(options);
}

/** Starts `count` independent servers, e.g. for quorum locks. */
export async function startRedisServers(count: number, options: RedisServerOptions = {}): Promise<RedisServer[]> {
  return await Promise.all(Array.from({ length: count }, () => RedisServer.start(options)));
}

/** Stops every server this process started and has not stopped yet. */
export async function stopAllRedisServers(): Promise<void> {
  await Promise.all([...started].map((server) => server.stop()));
}
