// Redis's cost of uncontended acquire+release pairs, in instructions (valgrind callgrind on a
// private redis-server: repeatable on a loaded machine) and in commandstats usec (a plain
// redis-server). Compares Lockstep's scripts with the raw protocol (SET NX PX + compare-and-delete)
// and with empty scripts given the same keys and arguments.
//
// Usage (from the repository root, after `pnpm turbo run generate`):
//   tsx packages/core/scripts/script-cost.ts [--module <scripts.generated.ts>] [--pairs 1000]
//     [--only lockFast,semFast,lock,sem,raw,empty,lockQueue,semQueue,fcallEmpty,fcallLockFast,multi]
//     [--same] [--subscribers 0-4]
// --module measures another build of the scripts (for a before/after); --same reuses one name
// instead of a new name per pair. lockQueue and semQueue (not in the default list) measure the
// contended path instead: per "pair", one caller queues behind a name that always has QUEUE_DEPTH
// waiters and the holder's release hands the name to the queue's head (semQueue: limit 1), so
// each pair is one acquisition of a busy name, as the contended shapes of contention-probe run.
// fcallEmpty, fcallLockFast and multi (not in the default list) measure two ways out that were not
// taken: the same scripts as Redis Functions (FCALL, Redis 7.0+), and an acquisition without a script
// (MULTI: SET NX PX of a value without the fence, EXISTS of the queue, TIME for the fence).
// --subscribers N (lockQueue, semQueue) adds N instances' subscriber connections, each subscribed to
// the busy names' channel and to its own channel of them (as WaitHub does), so the instructions
// include delivering each grant to the instances that hear it (N for a broadcast).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';

const { values } = parseArgs({
  options: {
    module: { type: 'string', default: join(import.meta.dirname, '../src/lua/scripts.generated.ts') },
    pairs: { type: 'string', default: '1000' },
    only: { type: 'string', default: 'lockFast,semFast,lock,sem,raw,empty' },
    same: { type: 'boolean', default: false },
    subscribers: { type: 'string', default: '0' },
  },
});
const PAIRS = Number(values.pairs);
const { LUA_SCRIPTS } = (await import(resolve(values.module))) as {
  LUA_SCRIPTS: Record<string, { source: string }>;
};

const CAD = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const EMPTY = 'return 0';
const shas: Record<string, string> = {};
const nameOf = (i: number) => (values.same ? 'bench' : `bench-${i}`);
const lockKeys = (i: number) => ['h', 'q', 'd', 'i', 'c'].map((s) => `{ls:l:${nameOf(i)}}:${s}`);
const semKeys = (i: number) => ['m', 'h', 'q', 'd', 'c'].map((s) => `{ls:s:${nameOf(i)}}:${s}`);
// Queued waiters' ids as clients make them (util/ids.ts), from four instances in turn, so grants
// take the per-instance channels and find claim watchers.
const instances = ['AAAAAAAAAAAA', 'BBBBBBBBBBBB', 'CCCCCCCCCCCC', 'DDDDDDDDDDDD'];
const waiterId = (i: number) => `${instances[((i % 4) + 4) % 4]}.${i.toString(36)}`;
const token = (i: number) => `${i.toString(36).padStart(8, '0')}-0123456789abcdef0123456789`;

/** The holder of the busy name of lockQueue / semQueue and the tokens of its queued waiters. */
const QUEUE_DEPTH = 4;
const queues = new Map<string, { holder: string; tokens: Map<string, string> }>();

/** One acquisition of a busy name: enqueue a caller, release the holder (a hand-off to the head). */
async function queuedPair(r: Redis, kind: 'lock' | 'sem', i: number): Promise<void> {
  const keys =
    kind === 'lock'
      ? lockKeys(-1).map((k) => k.replace('bench--1', 'busy'))
      : semKeys(-1).map((k) => k.replace('bench--1', 'busy'));
  const enqueue = (id: string, tok: string) =>
    kind === 'lock'
      ? call(r, 'lockAcquire', keys, [id, tok, 10_000, '1', 600_000, -1])
      : call(r, 'semAcquire', keys, [id, tok, 1, 1, 10_000, '1', 0, 600_000, -1, 0]);
  let q = queues.get(kind);
  if (!q) {
    const first = (await enqueue('q-holder', 'q-holder-token')) as number[];
    expect(first[0] === 1, `${kind} queue holder`, first);
    q = { holder: 'q-holder', tokens: new Map([['q-holder', 'q-holder-token']]) };
    queues.set(kind, q);
    for (let w = 0; w < QUEUE_DEPTH; w++) await queuedPair(r, kind, -1 - w);
    return;
  }
  const id = waiterId(i);
  q.tokens.set(id, token(i));
  const queued = (await enqueue(id, token(i))) as number[];
  expect(queued[0] === 0, `${kind} enqueue`, queued);
  if (i < 0) return;
  const args =
    kind === 'lock' ? [q.holder, q.tokens.get(q.holder) as string] : [q.holder, q.tokens.get(q.holder) as string, 1];
  const released = await call(r, kind === 'lock' ? 'lockRelease' : 'semRelease', keys, args);
  expect(Array.isArray(released) && released[0] === 1, `${kind} hand-off`, released);
  q.tokens.delete(q.holder);
  q.holder = String((released as string[])[1]).split('|')[0] as string;
}

async function call(r: Redis, script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
  return r.evalsha(shas[script] as string, keys.length, ...keys, ...args);
}

function expect(ok: boolean, what: string, reply: unknown): void {
  if (!ok) throw new Error(`${what}: unexpected reply ${JSON.stringify(reply)}`);
}

/** One uncontended acquire+release pair per workload, as the client sends it. */
const workloads: Record<string, (r: Redis, i: number) => Promise<void>> = {
  lockFast: async (r, i) => {
    const k = lockKeys(i).slice(0, 2);
    const a = await call(r, 'lockAcquireFast', k, [token(i), 10_000]);
    expect(typeof a === 'string', 'lockAcquireFast', a);
    const b = await call(r, 'lockReleaseFast', k, [token(i), a as string]);
    expect(b === 1, 'lockReleaseFast', b);
  },
  semFast: async (r, i) => {
    const k = semKeys(i).slice(0, 2);
    const a = await call(r, 'semAcquireFast', k, [`id-${i}`, token(i), 1, 5, 10_000]);
    expect(typeof a === 'string', 'semAcquireFast', a);
    const b = await call(r, 'semReleaseFast', k, [`id-${i}`, token(i)]);
    expect(b === 1, 'semReleaseFast', b);
  },
  lock: async (r, i) => {
    const a = (await call(r, 'lockAcquire', lockKeys(i), [`id-${i}`, token(i), 10_000, '1', 3_000, -1])) as number[];
    expect(a[0] === 1, 'lockAcquire', a);
    const b = await call(r, 'lockRelease', lockKeys(i), [`id-${i}`, token(i)]);
    expect(b === 1, 'lockRelease', b);
  },
  sem: async (r, i) => {
    const args = [`id-${i}`, token(i), 1, 5, 10_000, '1', 0, 3_000, -1, 0];
    const a = (await call(r, 'semAcquire', semKeys(i), args)) as number[];
    expect(a[0] === 1, 'semAcquire', a);
    const b = await call(r, 'semRelease', semKeys(i), [`id-${i}`, token(i), 5]);
    expect(b === 1, 'semRelease', b);
  },
  lockQueue: (r, i) => queuedPair(r, 'lock', i),
  semQueue: (r, i) => queuedPair(r, 'sem', i),
  raw: async (r, i) => {
    const key = `{raw:${nameOf(i)}}`;
    expect((await r.set(key, token(i), 'PX', 10_000, 'NX')) === 'OK', 'SET NX PX', null);
    const b = await call(r, 'cad', [key], [token(i)]);
    expect(b === 1, 'compare-and-delete', b);
  },
  fcallLockFast: async (r, i) => {
    const k = lockKeys(i).slice(0, 2);
    const a = await r.call('FCALL', 'lockAcquireFast', 2, ...k, token(i), 10_000);
    expect(typeof a === 'string', 'FCALL lockAcquireFast', a);
    const b = await r.call('FCALL', 'lockReleaseFast', 2, ...k, token(i), a as string);
    expect(b === 1, 'FCALL lockReleaseFast', b);
  },
  fcallEmpty: async (r, i) => {
    const k = lockKeys(i).slice(0, 2);
    await r.call('FCALL', 'empty', 2, ...k, token(i), 10_000);
    await r.call('FCALL', 'empty', 2, ...k, token(i), '1764547200000000');
  },
  multi: async (r, i) => {
    const [h, q] = lockKeys(i) as [string, string];
    const res = await r
      .multi()
      .set(h, `:${token(i)}`, 'PX', 10_000, 'NX')
      .exists(q)
      .time()
      .exec();
    expect(res?.[0]?.[1] === 'OK' && res?.[1]?.[1] === 0, 'MULTI SET NX PX, EXISTS, TIME', res);
    // The fast release compares "<fence>:<token>"; with the fence '' that is ":<token>".
    const b = await call(r, 'lockReleaseFast', [h, q], [token(i), '']);
    expect(b === 1, 'lockReleaseFast', b);
  },
  // Empty scripts with the fast lock scripts' keys and arguments: the floor of any such pair.
  empty: async (r, i) => {
    const k = lockKeys(i).slice(0, 2);
    await call(r, 'empty', k, [token(i), 10_000]);
    await call(r, 'empty', k, [token(i), '1764547200000000']);
  },
};

/** The fast lock scripts and the empty script as one Redis Functions library (fcall* workloads). */
function functionLibrary(): string {
  const fn = (name: string, body: string) => `redis.register_function('${name}', function(KEYS, ARGV)\n${body}\nend)`;
  const fast = ['lockAcquireFast', 'lockReleaseFast'].map((name) =>
    fn(name, (LUA_SCRIPTS[name] as { source: string }).source),
  );
  return ['#!lua name=scriptcost', fn('empty', EMPTY), ...fast].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function connect(port: number): Promise<Redis> {
  for (let i = 0; i < 600; i++) {
    const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.ping();
      // A new server: the busy names of lockQueue / semQueue start over.
      queues.clear();
      for (const [name, { source }] of Object.entries(LUA_SCRIPTS))
        shas[name] = (await r.script('LOAD', source)) as string;
      shas.cad = (await r.script('LOAD', CAD)) as string;
      shas.empty = (await r.script('LOAD', EMPTY)) as string;
      await r.call('FUNCTION', 'LOAD', 'REPLACE', functionLibrary());
      await subscribe(port);
      return r;
    } catch {
      r.disconnect();
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

/** The instances' subscriber connections of --subscribers on the current server. */
const subscribers: Redis[] = [];

async function subscribe(port: number): Promise<void> {
  for (const sub of subscribers.splice(0)) sub.disconnect();
  const busy = [lockKeys(-1), semKeys(-1)].map((k) => (k[4] as string).replace('bench--1', 'busy'));
  for (const prefix of instances.slice(0, Number(values.subscribers))) {
    const sub = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    sub.on('error', () => undefined);
    for (const channel of busy) await sub.ssubscribe(channel, `${channel}:${prefix}`);
    subscribers.push(sub);
  }
}

/** The server's CPU time so far (user + sys, main thread included), µs: counts socket writes too. */
async function serverCpuUs(r: Redis): Promise<number> {
  const info = (await r.info('cpu')) as string;
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
}

async function stop(r: Redis, child: ChildProcess): Promise<void> {
  for (const sub of subscribers.splice(0)) sub.disconnect();
  const exited = new Promise((done) => child.once('exit', done));
  await r.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
  r.disconnect();
  await exited;
}

let seq = 0;
async function run(r: Redis, name: string, pairs: number): Promise<void> {
  const pair = workloads[name];
  if (!pair) throw new Error(`unknown workload ${name}; known: ${Object.keys(workloads).join(', ')}`);
  for (let i = 0; i < pairs; i++) await pair(r, seq++);
}

const names = values.only.split(',');
const rows = new Map<string, { ir: number; usec: number; calls: number; cpu: number }>();
const dumps = mkdtempSync(join(tmpdir(), 'script-cost-'));
const serverArgs = (port: number) => ['--port', `${port}`, '--save', '', '--appendonly', 'no', '--hz', '1'];

// Instructions: zero the counters, run the pairs, dump, read the total.
{
  const port = await freePort();
  const out = join(dumps, 'callgrind.out');
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${out}`, 'redis-server', ...serverArgs(port)],
    {
      stdio: 'ignore',
    },
  );
  const r = await connect(port);
  for (const name of names) {
    await run(r, name, 100);
    execFileSync('callgrind_control', ['-z', `${child.pid}`], { stdio: 'ignore' });
    await run(r, name, PAIRS);
    execFileSync('callgrind_control', ['-d', name, `${child.pid}`], { stdio: 'ignore' });
    const last = readdirSync(dumps)
      .filter((f) => f.startsWith('callgrind.out.'))
      .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
      .pop() as string;
    const total = Number(/^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(join(dumps, last), 'utf8'))?.[1]);
    rows.set(name, { ir: total / PAIRS, usec: 0, calls: 0, cpu: 0 });
  }
  await stop(r, child);
}

// Server time: commandstats of EVALSHA/FCALL, and every command run (from scripts too) per pair.
{
  const port = await freePort();
  const child = spawn('redis-server', serverArgs(port), { stdio: 'ignore' });
  const r = await connect(port);
  for (const name of names) {
    await run(r, name, 1_000);
    await r.config('RESETSTAT');
    const cpuBefore = await serverCpuUs(r);
    await run(r, name, PAIRS * 5);
    const cpu = (await serverCpuUs(r)) - cpuBefore;
    const stats = [...((await r.info('commandstats')) as string).matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)];
    const row = rows.get(name) as { ir: number; usec: number; calls: number; cpu: number };
    row.cpu = cpu / (PAIRS * 5);
    const measured = stats.filter(([, cmd]) => cmd !== 'config' && cmd !== 'info');
    row.usec =
      measured.filter(([, cmd]) => cmd === 'evalsha' || cmd === 'fcall').reduce((sum, m) => sum + Number(m[3]), 0) /
      (PAIRS * 5);
    row.calls = measured.reduce((sum, m) => sum + Number(m[2]), 0) / (PAIRS * 5);
  }
  await stop(r, child);
}

console.log(
  `| workload (${values.same ? 'one name' : 'a new name per pair'}) | instructions / pair | script usec / pair | server calls / pair | server CPU usec / pair |`,
);
console.log('|---|---:|---:|---:|---:|');
for (const [name, row] of rows) {
  console.log(
    `| ${name} | ${Math.round(row.ir)} | ${row.usec.toFixed(2)} | ${row.calls.toFixed(2)} | ${row.cpu.toFixed(1)} |`,
  );
}
console.log(`\ncallgrind dumps (callgrind_annotate <file>): ${dumps}`);
