import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, portOpen, rawCommand, redisServerVersion, startRedisServer } from '../src/index.js';

/** A field of /proc/PID/status, e.g. `Cpus_allowed_list`. */
function procStatus(pid: number, field: string): string | undefined {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/** The process group of a pid, as `ps` reports it. */
function processGroup(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
}

describe('harness', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup) await fn();
  });

  it('starts, restarts empty, pauses and stops a server by pid', async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.stop());
    const redis = new Redis({ port: server.port, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on('error', () => undefined);
    cleanup.push(async () => redis.disconnect());
    await redis.set('k', 'v');
    expect(await redis.get('k')).toBe('v');
    await server.restart();
    expect(await redis.get('k')).toBeNull();
    await server.stop();
    expect(await portOpen(server.port)).toBe(false);
  });

  it('never takes a server already answering on its port for its own', async () => {
    // Two test files that drew the same free port: the second server cannot bind, and the PING
    // answered by the first must not make its start succeed (its tests would then pause, count or
    // restart another file's server).
    const first = await startRedisServer();
    cleanup.push(() => first.stop());
    await expect(startRedisServer({ port: first.port })).rejects.toThrow(/could not start redis-server/);
    expect(await rawCommand(first.port, 'PING')).toBe('+PONG');
    await first.stop();
  });

  it('pins a server to the CPUs asked for, and the pid is the server itself', async () => {
    const server = await startRedisServer({ cpu: '0' });
    cleanup.push(() => server.stop());
    const pid = server.pid ?? 0;
    expect(procStatus(pid, 'Name')).toMatch(/^redis-server/);
    expect(procStatus(pid, 'Cpus_allowed_list')).toBe('0');
    await server.stop();
    expect(await portOpen(server.port)).toBe(false);
  });

  it('starts a detached server in its own process group', async () => {
    const server = await startRedisServer({ detached: true });
    cleanup.push(() => server.stop());
    const pid = server.pid ?? 0;
    expect(processGroup(pid)).toBe(pid);
    expect(processGroup(pid)).not.toBe(processGroup(process.pid));
    await server.stop();
    expect(await portOpen(server.port)).toBe(false);
    // Gone and reaped when stop() resolves (the demo checks its pids right after).
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('finds free ports and reads the server version', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await portOpen(port)).toBe(false);
    expect(redisServerVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
