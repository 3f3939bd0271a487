// `watch` through an outage: Redis going away mid-watch (shut down, its connection killed, paused) is
// shown with the time since it was lost, the view resumes by itself when Redis is back, and only
// Ctrl-C/SIGTERM end the command (exit 0), with nothing on stderr.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { type RedisServer, rawCommand, startRedisServer } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/fixtures.js';
import { Lockstep } from '../../core/src/index.js';
import { BIN, type CliProcess, runCli, spawnCli } from './run-cli.js';

const exec = promisify(execFile);
// A private tmux server (its own socket), so nothing else's sessions are touched.
const socket = `lockstep-outage-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => exec('tmux', ['-L', socket, ...args]);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
});

/** A private server (it is shut down and restarted) and a Lockstep on it, closed after the test. */
async function privateRedis(): Promise<{ server: RedisServer; lockstep: Lockstep }> {
  const server = await startRedisServer();
  cleanups.push(() => server.stop());
  const redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  cleanups.push(async () => redis.disconnect());
  // The test's own client loses its leases with the server: that is not what is tested here.
  const lockstep = new Lockstep({ redis, prefix: 'outage', onError: () => undefined });
  cleanups.push(() => lockstep.close());
  return { server, lockstep };
}

/** SHUTDOWN NOSAVE, as `redis-cli -p PORT shutdown nosave` does; resolves once the process is gone. */
async function shutdown(server: RedisServer): Promise<void> {
  await rawCommand(server.port, 'SHUTDOWN NOSAVE').catch(() => undefined);
  await eventually(() => !server.running, 10_000);
}

function watchInPipe(port: number, args: readonly string[]): CliProcess {
  const watching = spawnCli(['watch', ...args, '--interval', '100', '--prefix', 'outage'], `redis://127.0.0.1:${port}`);
  cleanups.push(async () => watching.child.kill('SIGKILL'));
  return watching;
}

interface Record {
  readonly at: string;
  readonly name: string;
  readonly kind?: string;
  readonly found?: boolean;
  readonly unreachable?: boolean;
  readonly since?: string;
  readonly downMs?: number;
  readonly error?: string;
  readonly holders?: readonly { fence: number }[];
}

/** The NDJSON records printed after the first `skip` characters. */
function records(text: string, skip = 0): Record[] {
  return text
    .slice(skip)
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record);
}

describe('lockstep watch when Redis goes away', () => {
  it('into a pipe: says Redis is unreachable (and for how long) and resumes when it is back, text and NDJSON', async () => {
    const { server, lockstep } = await privateRedis();
    const text = watchInPipe(server.port, ['blip']);
    const json = watchInPipe(server.port, ['blip', '--json']);
    const first = await lockstep.lock('blip', { ttlMs: 60_000 }).acquire();
    await eventually(() => text.out().includes(`${first.fence}`) && json.out().includes(`${first.fence}`), 20_000);

    // The connection drops (the server lives on): the view carries on.
    expect(await rawCommand(server.port, 'CLIENT KILL TYPE normal')).toMatch(/^:\d+$/);
    let mark = [text.out().length, json.out().length] as const;
    await eventually(
      () =>
        text.out().slice(mark[0]).includes(`${first.fence}`) && json.out().slice(mark[1]).includes(`${first.fence}`),
      20_000,
    );

    // The server shuts down: the outage is shown, with its duration, until it is back.
    await shutdown(server);
    mark = [text.out().length, json.out().length];
    await eventually(() => /unreachable for \d+\.\ds/.test(text.out().slice(mark[0])), 20_000);
    await eventually(() => records(json.out(), mark[1]).some((r) => r.unreachable && (r.downMs ?? 0) >= 1_000), 20_000);
    expect(text.out().slice(mark[0])).toMatch(/Redis at 127\.0\.0\.1:\d+ unreachable for /);
    const outage = records(json.out(), mark[1]).filter((r) => r.unreachable);
    expect(outage[0]).toMatchObject({ name: 'blip', unreachable: true });
    expect(outage[0]?.error).toEqual(expect.any(String));
    expect(Number.isNaN(Date.parse(outage[0]?.since ?? ''))).toBe(false);
    // One loss, one `since`: the time counts from it, not from each failed refresh.
    expect(new Set(outage.map((r) => r.since)).size).toBe(1);

    // Back on the same port, empty: the new state is shown.
    await server.restart();
    mark = [text.out().length, json.out().length];
    const second = await lockstep.lock('blip', { ttlMs: 60_000 }).acquire();
    await eventually(() => text.out().slice(mark[0]).includes(`${second.fence}`), 20_000);
    await eventually(() => json.out().slice(mark[1]).includes(`${second.fence}`), 20_000);

    // Paused (a stalled server keeps its connections but does not answer): shown as an outage too.
    server.pause();
    mark = [text.out().length, json.out().length];
    try {
      await eventually(() => /unreachable for /.test(text.out().slice(mark[0])), 30_000);
      await eventually(() => records(json.out(), mark[1]).some((r) => r.unreachable), 30_000);
    } finally {
      server.resume();
    }
    mark = [text.out().length, json.out().length];
    await eventually(() => text.out().slice(mark[0]).includes(`${second.fence}`), 30_000);
    await eventually(() => json.out().slice(mark[1]).includes(`${second.fence}`), 30_000);
    await second.release();

    for (const w of [text, json]) {
      w.child.kill('SIGINT');
      expect(await w.exited).toBe(0);
      expect(w.err()).toBe('');
    }
    expect(text.out()).not.toContain('\u001b');
    expect(() => records(json.out())).not.toThrow();
  });

  it('at the start it still fails fast: exit 3 when Redis refuses or never answers, no reconnection loop', async () => {
    const refused = await runCli(['watch', 'x'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe('lockstep: Redis at 127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1\n');
    // A server that accepts and never answers (a hung proxy): exit 3 after the 5 s connection timeout.
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const port = (silent.address() as { port: number }).port;
    const hung = await runCli(['watch', 'x', '--json'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(hung.code).toBe(3);
    expect(hung.stdout).toBe('');
    expect(hung.stderr).toMatch(/^lockstep: Redis at 127\.0\.0\.1:\d+ is unreachable: no answer within 5 s\n$/);
  });

  it('SIGTERM during an outage ends it at once with exit 0', async () => {
    const { server } = await privateRedis();
    const w = watchInPipe(server.port, ['gone']);
    await eventually(() => w.out().includes('no lock or semaphore named "gone" yet'), 20_000);
    await shutdown(server);
    await eventually(() => w.out().includes('unreachable for'), 20_000);
    w.child.kill('SIGTERM');
    const outcome = await Promise.race([w.exited, new Promise((resolve) => setTimeout(resolve, 3_000, 'running'))]);
    expect(outcome).toBe(0);
    expect(w.err()).toBe('');
  });

  it('on a terminal: the redraw shows the outage and its duration, then the new state; Ctrl-C exits 0', async () => {
    const { server, lockstep } = await privateRedis();
    const command = [process.execPath, BIN, 'watch', 'screen', '--interval', '200', '--prefix', 'outage']
      .map((a) => `'${a}'`)
      .join(' ');
    await tmux(
      'new-session',
      '-d',
      '-s',
      'o',
      '-x',
      '120',
      '-y',
      '30',
      `REDIS_URL=redis://127.0.0.1:${server.port} ${command}; echo "exit=$?"; sleep 30`,
    );
    cleanups.push(() => tmux('kill-session', '-t', 'o'));
    const screen = async () => (await tmux('capture-pane', '-p', '-t', 'o')).stdout;
    const first = await lockstep.lock('screen', { ttlMs: 60_000 }).acquire();
    await eventually(async () => (await screen()).includes(`${first.fence}`), 20_000);

    await shutdown(server);
    await eventually(async () => /unreachable for \d+\.\ds/.test(await screen()), 20_000);
    const down = await screen();
    expect(down).toMatch(/Redis at 127\.0\.0\.1:\d+ unreachable for \d+\.\ds \(lost at \d\d:\d\d:\d\d UTC\)/);
    expect(down).not.toContain('exit=');
    // Redrawn in place: one frame on screen.
    expect(down.match(/lockstep watch/g)).toHaveLength(1);

    await server.restart();
    await eventually(async () => (await screen()).includes('no lock or semaphore named "screen" yet'), 20_000);
    const second = await lockstep.lock('screen', { ttlMs: 60_000 }).acquire();
    await eventually(async () => {
      const s = await screen();
      return s.includes(`${second.fence}`) && !s.includes('unreachable');
    }, 20_000);
    await second.release();

    await tmux('send-keys', '-t', 'o', 'C-c');
    await eventually(async () => (await screen()).includes('exit='), 20_000);
    const end = await screen();
    expect(end).toContain('exit=0');
    expect(end).not.toMatch(/Unhandled|unexpected error|\bat /);
  });
});
