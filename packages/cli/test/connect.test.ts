// Connecting: a Redis password never reaches the output, a server that accepts but never answers
// ends the command (exit 3) instead of hanging, and Ctrl-C/SIGTERM stop any command at once.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { rawCommand, startRedisServer } from '@lockstep/test-utils';
import { standalonePort } from '@lockstep/test-utils/context';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../src/connect.js';
import { CliError, EXIT_CODES } from '../src/index.js';
import { BIN, runCli } from './run-cli.js';

const SECRET = 'pa55-s3cr3t';

/** A TCP server that accepts connections and never answers (a hung proxy, a stopped process). */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

const servers: { server: Server; sockets: Socket[] }[] = [];
afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('the Redis URL', () => {
  it('is never echoed with its password, whatever is wrong with it', async () => {
    const urls = [
      `redis://:${SECRET}@127.0.0.1:notaport`,
      `http://:${SECRET}@127.0.0.1:6379`,
      `redis://admin:${SECRET}@[::1`,
      `admin:${SECRET}@127.0.0.1:6379`,
    ];
    for (const url of urls) {
      const viaFlag = await runCli(['ls', '--redis', url]);
      expect(viaFlag.code).toBe(EXIT_CODES.usage);
      expect(viaFlag.stderr).toMatch(/^lockstep: --redis: /);
      expect(viaFlag.stderr + viaFlag.stdout).not.toContain(SECRET);
      const viaEnv = await runCli(['ls'], { REDIS_URL: url });
      expect(viaEnv.code).toBe(EXIT_CODES.usage);
      expect(viaEnv.stderr + viaEnv.stdout).not.toContain(SECRET);
    }
  });
});

describe('the database in the Redis URL', () => {
  it('a database the server does not have is an error (exit 2), not an empty list of database 0', async () => {
    for (const db of ['99999', 'abc']) {
      const run = await runCli(['ls', '--json', '--redis', `redis://127.0.0.1:${standalonePort()}/${db}`]);
      expect(run.code, db).toBe(EXIT_CODES.usage);
      expect(run.stdout, db).toBe('');
      expect(run.stderr, db).toMatch(new RegExp(`^lockstep: --redis: database "?${db}`));
    }
    const fine = await runCli(['ls', '--json', '--redis', `redis://127.0.0.1:${standalonePort()}/0`]);
    expect(fine.code).toBe(EXIT_CODES.ok);
  });
});

describe('credentials Redis refuses', () => {
  it('are a bad --redis value (exit 2) saying so, not an outage, and never echoed', async () => {
    // The harness's readiness check is a PING without a password: the password comes after it.
    const server = await startRedisServer();
    try {
      expect(await rawCommand(server.port, `CONFIG SET requirepass ${SECRET}`)).toBe('+OK');
      const wrong = await runCli(['ls', '--redis', `redis://:not-${SECRET}@127.0.0.1:${server.port}`]);
      expect(wrong.code).toBe(EXIT_CODES.usage);
      expect(wrong.stderr).toMatch(/^lockstep: --redis: Redis at 127\.0\.0\.1:\d+ refused the credentials: WRONGPASS/);
      expect(wrong.stderr + wrong.stdout).not.toContain(SECRET);
      const none = await runCli(['ls'], { REDIS_URL: `redis://127.0.0.1:${server.port}` });
      expect(none.code).toBe(EXIT_CODES.usage);
      expect(none.stderr).toContain('needs a password');
      const right = await runCli(['ls', '--json', '--redis', `redis://:${SECRET}@127.0.0.1:${server.port}`]);
      expect(right.code).toBe(EXIT_CODES.ok);
    } finally {
      // SHUTDOWN without the password is refused: stop() then kills its own pid.
      await server.stop();
    }
  });
});

describe('a server that accepts but never answers', () => {
  it('ends the connection attempt as unreachable (exit 3) after the timeout, not never', async () => {
    const silent = await silentServer();
    servers.push(silent);
    const error = await connect({ redis: `redis://127.0.0.1:${silent.port}`, cluster: false, prefix: 'lockstep' }, 300)
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_CODES.unreachable);
    expect((error as CliError).message).toMatch(/no answer within/);
  });

  it('a command waiting on it stops at the first SIGTERM or Ctrl-C', async () => {
    const silent = await silentServer();
    servers.push(silent);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const connections = silent.sockets.length;
      const child = spawn(process.execPath, [BIN, 'ls', '--redis', `redis://127.0.0.1:${silent.port}`], {
        stdio: 'ignore',
      });
      const exited = new Promise<unknown>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig)));
      // Connected (and waiting for an answer) before the signal comes.
      while (silent.sockets.length === connections) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill(signal);
      const outcome = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000, 'running'))]);
      if (outcome === 'running') child.kill('SIGKILL');
      expect(outcome).not.toBe('running');
    }
  });
});
