// The CLI as a Redis ACL user: with core's documented lockstep-admin rules every command works; a
// missing rule (or a password changed under a running `watch`) is a bad --redis value (exit 2)
// naming what the user may not do and where the rules are, never "unreachable" (exit 3).
import type { ChildProcess } from 'node:child_process';
import { aclUrl, type RedisServer, rawCommand, startRedisServer } from '@lockstep/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/fixtures.js';
import { Lockstep } from '../../core/src/index.js';
import { ACL_PASSWORD, clientAs, createAclUser } from '../../core/test/support/acl-rules.js';
import { EXIT_CODES } from '../src/index.js';
import { type CliProcess, runCli, spawnCli } from './run-cli.js';

const REFUSED = /^lockstep: --redis: Redis at 127\.0\.0\.1:\d+ refused the user: it /;
const RULES = `give it the lockstep-admin rules of "Redis ACL users" in @lockstep/core's README\n`;

let server: RedisServer;
let lockstep: Lockstep;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  await createAclUser(server.port, 'lockstep-app');
  lockstep = new Lockstep({ redis: clientAs(server.port, 'lockstep-app'), onError: () => undefined });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await lockstep.close();
  lockstep.client?.disconnect();
  await server.stop();
});

/** `lockstep ...args` as `user`, created first with the admin's documented rules and then `extra`. */
async function cliAs(user: string, extra: string, args: readonly string[]) {
  await createAclUser(server.port, 'lockstep-admin', user, extra);
  return await runCli(args, { REDIS_URL: aclUrl(server.port, user, ACL_PASSWORD) });
}

/** A `watch --json` as `user`, in a pipe. */
function watchAs(user: string, name: string): CliProcess {
  const watching = spawnCli(['watch', name, '--json', '--interval', '100'], aclUrl(server.port, user, ACL_PASSWORD));
  children.push(watching.child);
  return watching;
}

describe('the CLI as a user with the documented lockstep-admin rules', () => {
  it('lists, inspects and force-releases', async () => {
    const lease = await lockstep.lock('stuck', { ttlMs: 60_000 }).acquire();
    const ls = await cliAs('admin', '', ['ls', '--json']);
    expect(ls.stderr).toBe('');
    expect(ls.code).toBe(EXIT_CODES.ok);
    expect(ls.stdout).toContain('"stuck"');
    expect((await runCli(['inspect', 'stuck'], { REDIS_URL: aclUrl(server.port, 'admin', ACL_PASSWORD) })).code).toBe(
      EXIT_CODES.ok,
    );
    const release = await runCli(['release', 'stuck', '--force', '--yes'], {
      REDIS_URL: aclUrl(server.port, 'admin', ACL_PASSWORD),
    });
    expect(release.code).toBe(EXIT_CODES.ok);
    expect(await lease.release()).toBe(false);
  });
});

describe('a missing rule exits 2, naming it', () => {
  it('ls without SCAN', async () => {
    const run = await cliAs('no-scan', '-scan', ['ls']);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toMatch(REFUSED);
    expect(run.stderr).toContain("it may not run SCAN (NOPERM this user has no permissions to run the 'scan' command)");
    expect(run.stderr.endsWith(RULES)).toBe(true);
  });

  it('inspect without EVALSHA, or without a command the script calls, or with another prefix', async () => {
    const cases = [
      ['no-evalsha', '-evalsha', [], /it may not run EVALSHA \(NOPERM/],
      ['no-time', '-time', [], /it may not run TIME \(called by Lockstep's script "lockInspect"\)/],
      ['other-prefix', '', ['--prefix', 'other'], /it may not use the keys of prefix "other" \(\{other:\*\) \(NOPERM/],
    ] as const;
    await (await lockstep.lock('x', { ttlMs: 60_000 }).acquire()).release();
    const held = await lockstep.lock('x', { ttlMs: 60_000 }).acquire();
    for (const [user, extra, flags, expected] of cases) {
      const run = await cliAs(user, extra, ['inspect', 'x', '--kind', 'lock', ...flags]);
      expect(run.code, user).toBe(EXIT_CODES.usage);
      expect(run.stderr, user).toMatch(REFUSED);
      expect(run.stderr, user).toMatch(expected);
    }
    await held.release();
  });

  it('watch: at the start, and when a rule is revoked or the password changed mid-watch (no outage frame)', async () => {
    // A name with keys: one without is shown as absent after EXISTS alone, no script run.
    const lease = await lockstep.lock('w', { ttlMs: 60_000 }).acquire();
    const atStart = await cliAs('watch-no-evalsha', '-evalsha', ['watch', 'w']);
    expect(atStart.code).toBe(EXIT_CODES.usage);
    expect(atStart.stderr).toMatch(/it may not run EVALSHA/);

    for (const [user, revoke] of [
      ['watch-revoked', '-evalsha'],
      ['watch-repassworded', 'resetpass >another-password'],
    ] as const) {
      await createAclUser(server.port, 'lockstep-admin', user);
      const watch = watchAs(user, 'w');
      await eventually(() => watch.out().includes(`${lease.fence}`), 20_000);
      await createAclUser(server.port, 'lockstep-admin', user, revoke);
      // A changed password only shows at the next connection.
      if (revoke.startsWith('resetpass')) await rawCommand(server.port, `CLIENT KILL USER ${user}`);
      const code = await Promise.race([watch.exited, new Promise((r) => setTimeout(() => r('running'), 15_000))]);
      expect(code, user).toBe(EXIT_CODES.usage);
      expect(watch.err(), user).toMatch(REFUSED);
      // The refusal itself is never shown as an outage (the killed connection may be, until the
      // password is refused at the reconnection).
      expect(watch.out(), user).not.toMatch(/"error":"[^"]*(NOPERM|WRONGPASS)/);
      if (revoke === '-evalsha') expect(watch.out(), user).not.toContain('"unreachable"');
    }
    await lease.release();
  });
});
