// The README's "Redis ACL users" lines are enough: users created with exactly those lines (read
// from the README) on a private redis-server take locks (a contended wait woken by a push from
// another instance), semaphores (priorities, setLimit), lockAll, quorum locks and the admin tools,
// and the server's ACL LOG stays empty: nothing Lockstep sent was refused, not even in the
// background (heartbeats, subscriptions, statistics), where a refusal would only reach onError.
import {
  aclLogLength,
  type RedisServer,
  rawCommand,
  setAclUser,
  startRedisServer,
  startRedisServers,
} from '@lockstep/test-utils';
import type { Redis, RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/fixtures.js';
import { type Lease, Lockstep, type LockstepOptions } from '../src/index.js';
import { LUA_SCRIPTS } from '../src/lua/scripts.generated.js';
import { type AclRole, clientAs, createAclUser, documentedCommands, documentedRules } from './support/acl-rules.js';

let server: RedisServer;
const errors: unknown[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  for (const role of ['lockstep-app', 'lockstep-admin', 'lockstep-bullmq'] as const) {
    await createAclUser(server.port, role);
  }
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  await server.stop();
});

/** A Lockstep as `user` on its own client, with statistics on (so their writes are checked too). */
function lockstepAs(
  user: AclRole | string,
  port = server.port,
  options: Partial<LockstepOptions> = {},
  clientOptions: RedisOptions = {},
): Lockstep {
  const redis = clientAs(port, user, clientOptions);
  const lockstep = new Lockstep({ redis, stats: true, onError: (e) => errors.push(e), ...options });
  cleanups.push(async () => redis.quit());
  cleanups.push(() => lockstep.close());
  return lockstep;
}

function elapsedSince(start: number): number {
  return performance.now() - start;
}

/** Every command `redis.call` names in the scripts (includes are inlined in the generated sources). */
function scriptCommands(): Set<string> {
  const found = new Set<string>();
  for (const { source } of Object.values(LUA_SCRIPTS)) {
    for (const m of source.matchAll(/redis\.p?call\(\s*'([A-Za-z]+)'/g)) found.add((m[1] as string).toLowerCase());
  }
  return found;
}

describe('the documented rules', () => {
  it('allow exactly the commands the scripts call, plus what the client sends', () => {
    // A command on a path the tests below rarely take (a purge cut short) is still listed.
    const sent = ['evalsha', 'eval', 'ssubscribe', 'sunsubscribe', 'info'];
    // PUBLISH is the scripts' choice before Redis 7 only (the README's Redis 6.2 note).
    const called = [...scriptCommands()].filter((c) => c !== 'publish');
    expect(documentedCommands('lockstep-app').sort()).toEqual([...sent, ...called].sort());
    expect(documentedCommands('lockstep-admin').sort()).toEqual([...documentedCommands('lockstep-app'), 'scan'].sort());
    expect(documentedCommands('lockstep-bullmq').slice(0, documentedCommands('lockstep-app').length)).toEqual(
      documentedCommands('lockstep-app'),
    );
  });
});

describe('a user with the documented rules', () => {
  it('takes, extends and releases a lock, and a waiter of another instance is woken by a push', async () => {
    const holder = lockstepAs('lockstep-app');
    const waiter = lockstepAs('lockstep-app');
    const lock = holder.lock('invoice:42', { ttlMs: 30_000 });
    const lease = await lock.acquire();
    // The scripts are gone (as after a restart): NOSCRIPT, then EVAL, must be allowed too.
    expect(await rawCommand(server.port, 'SCRIPT FLUSH')).toBe('+OK');
    await lease.extend(30_000);
    expect((await lock.inspect()).held).toBe(true);
    const adopted = await holder.lock('invoice:42', { ttlMs: 30_000 }).adopt(lease.toJSON());
    const waiting = waiter.lock('invoice:42', { ttlMs: 5_000 }).acquire({ waitMs: 20_000, autoExtend: true });
    // Queued behind a 30 s lease: only the release's push can wake it well before that.
    await eventually(async () => (await lock.inspect()).waiting === 1);
    const released = performance.now();
    expect(await adopted.release()).toBe(true);
    const next: Lease = await waiting;
    expect(elapsedSince(released)).toBeLessThan(5_000);
    expect(next.fence).toBeGreaterThan(lease.fence as number);
    // The pushed grant is a claim: its first extension (the claim's) must go through too.
    await new Promise((r) => setTimeout(r, 600));
    expect(next.held).toBe(true);
    expect(await next.release()).toBe(true);
    expect(await lock.tryAcquire()).not.toBeNull();
  });

  it("with a client keyPrefix, the README's patterns with the keyPrefix before them", async () => {
    const rules = documentedRules('lockstep-app')
      .replace(/^\S+/, 'prefixed')
      .replaceAll('{lockstep:*', 'app:{lockstep:*');
    await setAclUser(server.port, rules);
    const [holder, waiter] = [0, 1].map(() => lockstepAs('prefixed', server.port, {}, { keyPrefix: 'app:' }));
    const lease = await (holder as Lockstep).lock('k', { ttlMs: 30_000 }).acquire();
    const waiting = (waiter as Lockstep).lock('k').acquire({ waitMs: 20_000 });
    await eventually(async () => (await (holder as Lockstep).lock('k').inspect()).waiting === 1);
    const released = performance.now();
    await lease.release();
    await (await waiting).release();
    expect(elapsedSince(released)).toBeLessThan(5_000);
  });

  it('runs a semaphore with priorities and setLimit, served across instances', async () => {
    const a = lockstepAs('lockstep-app');
    const b = lockstepAs('lockstep-app');
    const options = { limit: 1, ttlMs: 30_000, priorities: ['high', 'low'] };
    const sem = a.semaphore('exports', options);
    const first = await sem.acquire();
    const order: string[] = [];
    const low = b
      .semaphore('exports', options)
      .acquire({ priority: 'low', waitMs: 20_000 })
      .then((l) => {
        order.push('low');
        return l;
      });
    await eventually(async () => (await sem.inspect()).waiting === 1);
    const high = b
      .semaphore('exports', options)
      .acquire({ priority: 'high', waitMs: 20_000 })
      .then((l) => {
        order.push('high');
        return l;
      });
    await eventually(async () => (await sem.inspect()).waiting === 2);
    // One more permit: the high waiter is served first, though it came second.
    await sem.setLimit(2);
    const granted = await high;
    expect(order).toEqual(['high']);
    expect(await first.release()).toBe(true);
    const last = await low;
    expect(order).toEqual(['high', 'low']);
    await Promise.all([granted.release(), last.release()]);
  });

  it('takes several locks at once with lockAll', async () => {
    const lockstep = lockstepAs('lockstep-app');
    const lease = await lockstep.lockAll(['account:17', 'account:42'], { ttlMs: 10_000 }).acquire({ waitMs: 5_000 });
    expect(lease.fences).toHaveLength(2);
    await lease.extend();
    await lease.release();
  });

  it('lists, inspects and force-releases as the admin user', async () => {
    const app = lockstepAs('lockstep-app');
    const lease = await app.lock('stuck', { ttlMs: 30_000 }).acquire();
    const permit = await app.semaphore('pool', { limit: 3 }).acquire({ weight: 2 });
    const admin = lockstepAs('lockstep-admin').admin();
    const names = await admin.list();
    expect(names.map((n) => `${n.kind}:${n.name}`)).toEqual(expect.arrayContaining(['lock:stuck', 'semaphore:pool']));
    expect((await admin.inspect('lock', 'stuck'))?.holderList).toHaveLength(1);
    expect((await admin.inspect('semaphore', 'pool'))?.used).toBe(2);
    await admin.rates('lock', 'stuck', 60);
    expect(await admin.forceRelease('lock', 'stuck')).toBe(1);
    expect(await admin.forceRelease('semaphore', 'pool')).toBe(1);
    expect(await lease.release()).toBe(false);
    expect(await permit.release()).toBe(false);
  });

  it('runs @lockstep/bullmq-like commands as the bullmq user, and quorum locks and semaphores as the app user', async () => {
    // The bullmq user is the app's rules and more: a plain lock works as it.
    const bullmq = lockstepAs('lockstep-bullmq');
    await (await bullmq.lock('job').acquire()).release();
    const servers = await startRedisServers(3);
    cleanups.push(() => Promise.all(servers.map((s) => s.stop())));
    for (const s of servers) await createAclUser(s.port, 'lockstep-app');
    const clients: Redis[] = servers.map((s) => clientAs(s.port, 'lockstep-app'));
    cleanups.push(async () => clients.map((c) => c.disconnect()));
    const quorum = new Lockstep({ redis: clients, onError: (e) => errors.push(e) });
    cleanups.push(() => quorum.close());
    const lease = await quorum.lock('q', { ttlMs: 5_000 }).acquire();
    await lease.extend();
    await lease.release();
    const permit = await quorum.semaphore('qs', { limit: 2, ttlMs: 5_000 }).acquire();
    await permit.extend();
    await permit.release();
    for (const s of servers) expect(await aclLogLength(s.port)).toBe(0);
  });

  it('was refused nothing, in the foreground or in the background', async () => {
    // close() writes the statistics still pending (the statistics script's commands are checked).
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    expect(errors).toEqual([]);
    expect(await aclLogLength(server.port)).toBe(0);
  });
});
