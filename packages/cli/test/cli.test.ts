import { standalonePort } from '@lockstep/test-utils/context';
import { describe, expect, inject, it } from 'vitest';
import { clusterLockstep, eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import { isLockstepError, type Lease } from '../../core/src/index.js';
import type { InspectJson, LsJson, ReleaseJson } from '../src/index.js';
import { runCli } from './run-cli.js';

const standaloneUrl = () => `redis://127.0.0.1:${standalonePort()}`;
const clusterArgs = () => ['--cluster', '--redis', `redis://127.0.0.1:${inject('clusterPorts')[0]}`];

describe('lockstep ls', () => {
  it('lists every live lock and semaphore, as text and as stable JSON', async () => {
    const { lockstep, prefix } = standaloneLockstep({ stats: true });
    const a = await lockstep.lock('orders:1').acquire();
    const evil = await lockstep.lock('\u001b[31mred').acquire();
    const sem = lockstep.semaphore('exports', { limit: 3 });
    const p = await sem.acquire({ weight: 2 });
    const queued = lockstep.lock('orders:1').acquire({ waitMs: 10_000 });
    await eventually(async () => (await lockstep.lock('orders:1').inspect()).waiting === 1);

    const json = await runCli(['ls', '--json', '--prefix', prefix, '--sort', 'waiters'], {
      REDIS_URL: standaloneUrl(),
    });
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as LsJson;
    expect(out.schema).toBe(1);
    expect(out.names[0]).toEqual({ kind: 'lock', name: 'orders:1', limit: 1, used: 1, holders: 1, waiters: 1 });
    expect(out.names.map((n) => n.name).sort()).toEqual(['\u001b[31mred', 'exports', 'orders:1']);

    const text = await runCli(['ls', '--redis', standaloneUrl(), '--prefix', prefix]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/KIND\s+NAME\s+LIMIT\s+USED\s+HOLDERS\s+WAITERS/);
    expect(text.stdout).toMatch(/semaphore\s+exports\s+\S+\s+2\s+1\s+0/);
    // A name is user input: its escape sequence is shown, never sent to the terminal.
    expect(text.stdout).not.toContain('\u001b');
    expect(text.stdout).toContain('\\u001b[31mred');
    expect(text.stdout).not.toContain(a.token);

    await a.release();
    await ((await queued) as Lease).release();
    await evil.release();
    await p.release();
  });

  it('works on a Cluster (every primary is scanned)', async () => {
    const { lockstep, prefix } = clusterLockstep();
    const names = Array.from({ length: 10 }, (_, i) => `job-${i}`);
    const held = await Promise.all(names.map((n) => lockstep.lock(n).acquire()));
    const run = await runCli([...clusterArgs(), '--prefix', prefix, 'ls', '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as LsJson).names.map((n) => n.name).sort()).toEqual([...names].sort());
    for (const lease of held) await lease.release();
  });
});

describe("another program's keys under the prefix", () => {
  it('ls leaves the name out; inspect exits 70 naming it, without a stack trace', async () => {
    const { lockstep, redis, prefix } = standaloneLockstep();
    const lease = await lockstep.lock('mine').acquire();
    await redis.set(`{${prefix}:l:theirs}:h`, 'not a lease', 'PX', 60_000);
    const ls = await runCli(['ls', '--json', '--prefix', prefix, '--redis', standaloneUrl()]);
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as LsJson).names.map((n) => n.name)).toEqual(['mine']);
    const inspect = await runCli([
      'inspect',
      'theirs',
      '--kind',
      'lock',
      '--prefix',
      prefix,
      '--redis',
      standaloneUrl(),
    ]);
    expect(inspect.code).toBe(70);
    expect(inspect.stderr).toContain('lock "theirs" has keys Lockstep did not write');
    expect(inspect.stderr).not.toMatch(/\n\s+at /);
    await lease.release();
  });
});

describe('lockstep inspect', () => {
  it('shows holders and waiters by priority class; exit 1 for an unknown name', async () => {
    const { lockstep, prefix } = standaloneLockstep({ stats: true });
    const sem = lockstep.semaphore('pool', { limit: 1, priorities: ['high', 'low'] });
    const held = await sem.acquire();
    const waiters = [
      sem.acquire({ priority: 'low', waitMs: 10_000 }),
      sem.acquire({ priority: 'high', waitMs: 10_000 }),
    ];
    await eventually(async () => (await sem.inspect()).waiting === 2);
    // The class names arrive with the first statistics flush (about a second after the grant).
    await eventually(async () => (await lockstep.admin().inspect('semaphore', 'pool'))?.limit === 1);
    const run = await runCli(['inspect', 'pool', '--json', '--prefix', prefix, '--redis', standaloneUrl()]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as InspectJson;
    expect(out).toMatchObject({ schema: 1, kind: 'semaphore', name: 'pool', used: 1, waiting: 2 });
    expect(out.holders).toEqual([expect.objectContaining({ fence: held.fence, weight: 1 })]);
    expect(out.holders[0]?.expiresInMs).toBeGreaterThan(0);
    expect(out.waiters.map((w) => [w.priority, w.priorityName])).toEqual([
      [1, 'high'],
      [0, 'low'],
    ]);
    expect(run.stdout).not.toContain(held.token);

    const text = await runCli(['inspect', 'pool', '--prefix', prefix, '--redis', standaloneUrl()]);
    expect(text.stdout).toContain(`${held.fence}`);
    expect(text.stdout).toMatch(/priority 1 \(high\): 1 waiting[\s\S]*priority 0 \(low\): 1 waiting/);

    const missing = await runCli(['inspect', 'nope', '--prefix', prefix, '--redis', standaloneUrl()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no lock or semaphore named "nope"');
    await held.release();
    // The high-priority waiter is served first.
    await ((await waiters[1]) as Lease).release();
    await ((await waiters[0]) as Lease).release();
  });

  it('exit 2 for usage errors, 3 when Redis is unreachable', async () => {
    expect((await runCli(['inspect'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['ls', '--prefix', 'bad{prefix}', '--redis', standaloneUrl()])).code).toBe(2);
    expect((await runCli(['ls', '--redis', 'http://x'])).code).toBe(2);
    expect((await runCli(['inspect', 'x', '--kind', 'mutex', '--redis', standaloneUrl()])).code).toBe(2);
    const down = await runCli(['ls'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('unreachable');
    // the socket's reason, not ioredis's "Connection is closed." after it gave up
    expect(down.stderr).toContain('Redis at 127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1');
    expect((await runCli(['--help'])).code).toBe(0);
  });
});

describe('lockstep release', () => {
  it('force-releases by fence on a Cluster: the waiter gets the lock, the holder loses it', async () => {
    const { lockstep, prefix } = clusterLockstep();
    const lock = lockstep.lock('deploy', { ttlMs: 10_000 });
    const first = await lock.acquire();
    const next = lock.acquire({ waitMs: 15_000 });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    const base = [...clusterArgs(), '--prefix', prefix];

    expect((await runCli([...base, 'release', 'deploy'])).code).toBe(2); // no --force
    const unconfirmed = await runCli([...base, 'release', 'deploy', '--force']);
    expect(unconfirmed.code).toBe(2); // stdin is not a terminal and no --yes
    expect(unconfirmed.stderr).toContain('--yes');
    const wrong = await runCli([...base, 'release', 'deploy', '--force', '--yes', '--fence', '12345']);
    expect(wrong.code).toBe(1);

    const run = await runCli([...base, '--json', 'release', 'deploy', '--force', '--yes', '--fence', `${first.fence}`]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout) as ReleaseJson).toEqual({
      schema: 1,
      prefix,
      kind: 'lock',
      name: 'deploy',
      fence: first.fence,
      released: 1,
    });
    const second = (await next) as Lease;
    expect(second.fence).toBeGreaterThan(first.fence as number);
    expect(isLockstepError(await first.extend().catch((e: unknown) => e), 'ERR_LEASE_LOST')).toBe(true);
    await second.release();
    expect((await runCli([...base, 'release', 'deploy', '--force', '--yes'])).code).toBe(1);
  });

  it('force-releases every permit of a semaphore', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const sem = lockstep.semaphore('pool', { limit: 3 });
    const held = await Promise.all([sem.acquire(), sem.acquire()]);
    const run = await runCli(['release', 'pool', '--force', '--yes', '--prefix', prefix, '--redis', standaloneUrl()]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('released 2 holder(s) of semaphore "pool"');
    expect((await sem.inspect()).used).toBe(0);
    for (const lease of held) expect(await lease.release()).toBe(false);
  });
});
