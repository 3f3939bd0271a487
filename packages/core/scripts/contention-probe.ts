// Contended acquisitions in one process, measured where a loaded machine still gives repeatable
// figures: Node CPU µs and Redis script µs per acquisition, commands per acquisition, and the
// hand-off gap (one caller's release call to the next caller's grant), beside throughput against
// the hold-bound ceiling. Spawns its own redis-server; uses the built dist (run `pnpm build` first).
//
//   pnpm exec tsx packages/core/scripts/contention-probe.ts --shape mutex|semaphore|deep [--ms 3000]
//     [--callers N] [--limit N] [--hold MS] [--depth N] [--slowlog] [--dist OTHER_PACKAGE_DIR]
//
// --slowlog lists each script's p50 duration (every command goes to the slow log in the window);
// --dist measures another build (a package directory with dist/), for before/after on one machine.
// Profile the client with `node --cpu-prof --import tsx packages/core/scripts/contention-probe.ts`.
//
// mutex: 16 callers, hold 1 ms (the bench's mutex-in-process); semaphore: limit 5, 32 callers,
// hold 2 ms; deep: `depth` waiters on a semaphore of limit 1, every grantee releases at once.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { RedisServer } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import type { Lockstep as LockstepType } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'mutex' },
    ms: { type: 'string', default: '3000' },
    callers: { type: 'string' },
    limit: { type: 'string' },
    hold: { type: 'string' },
    depth: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '500' },
    slowlog: { type: 'boolean', default: false },
    // Another build to measure (for before/after on the same machine): a package dir with dist/.
    dist: { type: 'string' },
    // Pins like `pnpm bench`: this process on CPU 0, redis-server on CPU 1 (taskset).
    pin: { type: 'boolean', default: false },
  },
});

const shape = values.shape as 'mutex' | 'semaphore' | 'deep';
const deep = shape === 'deep';
const callers = Number(values.callers ?? (deep ? Number(values.depth) + 1 : shape === 'mutex' ? 16 : 32));
const limit = Number(values.limit ?? (shape === 'semaphore' ? 5 : 1));
const holdMs = deep ? 0 : Number(values.hold ?? (shape === 'mutex' ? 1 : 2));
const windowMs = Number(values.ms);

function commandstats(info: string): Map<string, { calls: number; usec: number }> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (m) out.set(m[1] as string, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return out;
}

const { Lockstep } = (await import(values.dist ? `${values.dist}/dist/index.js` : '../dist/index.js')) as {
  Lockstep: typeof LockstepType;
};
const server = await RedisServer.start();
if (values.pin) {
  spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  spawnSync('taskset', ['-a', '-cp', '1', String(server.pid)], { stdio: 'ignore' });
}
const client = new Redis(server.port, '127.0.0.1');
const admin = new Redis(server.port, '127.0.0.1');
const lockstep = new Lockstep({ redis: client });
// Socket-level times: the last write of a release and the read of its reply.
let releaseWritten = 0;
let releaseRead = 0;
let releasing = false;
const preWrite: number[] = [];
const onServer: number[] = [];
const postRead: number[] = [];
await client.ping();
{
  const stream = (client as unknown as { stream: import('node:net').Socket }).stream;
  const write = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (releasing && releaseWritten === 0) releaseWritten = performance.now();
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  stream.prependListener('data', () => {
    if (releaseWritten > 0 && releaseRead === 0) releaseRead = performance.now();
  });
}
let sent = 0;
const origSend = client.sendCommand.bind(client);
client.sendCommand = ((cmd: Parameters<typeof origSend>[0]) => {
  sent++;
  return origSend(cmd);
}) as typeof client.sendCommand;

const target =
  shape === 'mutex'
    ? lockstep.lock('probe', { ttlMs: 10_000 })
    : lockstep.semaphore('probe', { limit, ttlMs: 10_000, maxWaiters: callers + 100 });

let measuring = false;
let stop = false;
let grants = 0;
let holdSum = 0;
const gaps: number[] = [];
let lastRelease = 0;
const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function caller(): Promise<void> {
  while (!stop) {
    const lease = await target.acquire({ waitMs: 120_000 });
    const granted = now();
    if (measuring && lastRelease > 0 && limit === 1 && releaseRead > 0) {
      preWrite.push(releaseWritten - lastRelease);
      onServer.push(releaseRead - releaseWritten);
      postRead.push(granted - releaseRead);
    }
    if (measuring && lastRelease > 0 && limit === 1) {
      gaps.push(granted - lastRelease);
    }
    if (holdMs > 0) await sleep(holdMs);
    const released = now();
    if (measuring) {
      grants++;
      holdSum += released - granted;
    }
    lastRelease = released;
    releasing = true;
    releaseWritten = 0;
    releaseRead = 0;
    const done = lease.release();
    releasing = false;
    await done;
  }
}

const running = Array.from({ length: callers }, () => caller());
await sleep(Number(values.warmup) + (deep ? Math.min(20_000, callers * 2) : 0));
// Per-script durations: every command goes to the slow log during the window (script time by name).
if (values.slowlog) await admin.config('SET', 'slowlog-log-slower-than', '0');
await admin.config('SET', 'slowlog-max-len', '2000');
await admin.slowlog('RESET');
const info0 = commandstats(await admin.info('commandstats'));
const cpu0 = process.cpuUsage();
const sent0 = sent;
const t0 = now();
measuring = true;
await sleep(windowMs);
measuring = false;
const seconds = (now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const sentN = sent - sent0;
const info1 = commandstats(await admin.info('commandstats'));
const slow = (await admin.slowlog('GET', 2000)) as [number, number, number, string[]][];
await admin.config('SET', 'slowlog-log-slower-than', '-1');
stop = true;
const { LUA_SCRIPTS } = await import('../src/lua/scripts.generated.js');
const scriptNames = new Map(Object.entries(LUA_SCRIPTS).map(([name, script]) => [script.sha, name]));
const perScript = new Map<string, number[]>();
for (const [, , usec, args] of slow) {
  const name = args[0]?.toLowerCase() === 'evalsha' ? (scriptNames.get(args[1] ?? '') ?? 'evalsha?') : (args[0] ?? '?');
  if (name === 'config' || name === 'slowlog' || name === 'info') continue;
  perScript.set(name, [...(perScript.get(name) ?? []), usec]);
}
const scripts = [...perScript].map(([name, xs]) => {
  xs.sort((a, b) => a - b);
  return `${name} n=${xs.length} p50=${xs[Math.floor(xs.length / 2)]}µs`;
});

let scriptUs = 0;
let serverCalls = 0;
const perCommand: string[] = [];
for (const [name, after] of info1) {
  if (name === 'info') continue;
  const before = info0.get(name) ?? { calls: 0, usec: 0 };
  const calls = after.calls - before.calls;
  if (calls <= 0) continue;
  serverCalls += calls;
  scriptUs += after.usec - before.usec;
  perCommand.push(`${name} ${(calls / grants).toFixed(2)}/acq ${((after.usec - before.usec) / grants).toFixed(1)}µs`);
}
const meanHold = holdSum / Math.max(1, grants);
const ceiling = deep ? Number.NaN : (limit * 1000) / meanHold;
const rate = grants / seconds;
const pctOf = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor((sorted.length - 1) * p)] as number) : Number.NaN;
};
const pct = (p: number) => pctOf(gaps, p);
console.log(
  JSON.stringify({
    shape,
    callers,
    limit,
    holdMs,
    grants,
    rate: Math.round(rate),
    meanHoldMs: Number(meanHold.toFixed(3)),
    vsCeiling: Number((rate / ceiling).toFixed(3)),
    gapP50Ms: Number(pct(0.5).toFixed(3)),
    gapP90Ms: Number(pct(0.9).toFixed(3)),
    gapP99Ms: Number(pct(0.99).toFixed(3)),
    gapMeanMs: Number((gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length)).toFixed(3)),
    scripts,
    // p50 of the hand-off's parts: release call to its socket write, write to the reply's read,
    // read to the next caller's grant.
    splitP50Ms: [preWrite, onServer, postRead].map((xs) => Number(pctOf(xs, 0.5).toFixed(3))),
    nodeCpuUsPerAcq: Math.round((cpu.user + cpu.system) / grants),
    redisUsPerAcq: Number((scriptUs / grants).toFixed(1)),
    clientCmdsPerAcq: Number((sentN / grants).toFixed(2)),
    serverCallsPerAcq: Number((serverCalls / grants).toFixed(2)),
    perCommand: process.env.PROBE_COMMANDS ? perCommand : undefined,
  }),
);

// Let the callers finish their current turn (every wait is granted in turn), then shut down.
await Promise.race([Promise.all(running), sleep(deep ? 30_000 : 5_000)]);
await lockstep.close();
client.disconnect();
admin.disconnect();
await server.stop();
process.exit(0);
