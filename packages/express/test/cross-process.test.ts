// Two server processes share one route with limit 3; a third process loads them with hundreds of
// concurrent requests; the checker sweeps the intervals the handlers recorded.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Lockstep } from '@lockstep/core';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { afterAll, expect, it } from 'vitest';
import { checkHistory } from '../../../test/support/checker.js';
import type { HistoryEvent } from '../../../test/support/history.js';
import { openRequest, request } from './support/http.js';
import { eventually } from './support/lockstep.js';

const LIMIT = 3;
const REQUESTS = 400;
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function run(
  file: string,
  args: readonly string[],
): { child: ChildProcess; stdout: () => string; exit: Promise<number | null> } {
  const path = fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, exit };
}

async function startServer(
  prefix: string,
  name = 'shared-route',
  limit = LIMIT,
  ttlMs = 10_000,
): Promise<{ port: number; child: ChildProcess; exit: Promise<number | null> }> {
  const server = run('limit-server.ts', [String(standalonePort()), prefix, name, String(limit), String(ttlMs)]);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const match = /READY (\d+)/.exec(server.stdout());
    if (match) return { port: Number(match[1]), child: server.child, exit: server.exit };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('server process did not start');
}

it('never runs more than the limit at once across two processes', async () => {
  const prefix = uniquePrefix('xp');
  const servers = await Promise.all([startServer(prefix), startServer(prefix)]);
  const load = run('load.ts', [String(REQUESTS), ...servers.map((s) => String(s.port))]);
  expect(await load.exit).toBe(0);
  expect(JSON.parse(load.stdout())).toEqual({ 200: REQUESTS });

  const events: HistoryEvent[] = [];
  for (const s of servers) {
    const records = JSON.parse((await request(s.port, '/records')).body) as {
      id: string;
      fence: number | null;
      i: number;
      start: number;
      end: number;
    }[];
    for (const r of records) {
      events.push({
        e: 'grant',
        id: r.id,
        name: 'route',
        fence: r.fence,
        weight: 1,
        t: r.start,
        v: r.end + 1e9,
        w: String(s.port),
        i: r.i,
      });
      events.push({ e: 'release', id: r.id, t: r.end });
    }
  }
  const result = checkHistory(events, () => LIMIT);
  expect(result.windows).toBe(REQUESTS);
  expect(result.violations).toEqual([]);
  // The load really overlapped: both processes together kept the limit busy.
  expect(result.maxConcurrent.get('route')).toBe(LIMIT);
  for (const s of servers) {
    s.child.kill('SIGTERM');
    await s.exit;
  }
}, 120_000);

it("gives a killed instance's permit back within ttlMs, to a request queued on another instance", async () => {
  const prefix = uniquePrefix('crash');
  const ttlMs = 1_000;
  const [a, b] = await Promise.all([startServer(prefix, 'crash', 1, ttlMs), startServer(prefix, 'crash', 1, ttlMs)]);
  const lockstep = new Lockstep({ redis: standaloneClient(), prefix });
  const semaphore = lockstep.semaphore('crash', { limit: 1 });
  const hanging = openRequest(a.port, '/hang');
  await eventually(async () => (await semaphore.inspect()).used === 1, 30_000);
  const queued = request(b.port, '/work?n=1');
  await eventually(async () => (await semaphore.inspect()).waiting === 1, 30_000);
  a.child.kill('SIGKILL');
  const killedAt = performance.now();
  expect((await queued).status).toBe(200);
  const reclaimMs = performance.now() - killedAt;
  // Within one lease (plus the waiter's re-check and a loaded machine's slack), never for good.
  expect(reclaimMs).toBeLessThan(ttlMs + 4_000);
  await hanging.destroy();
  b.child.kill('SIGTERM');
  await Promise.all([a.exit, b.exit]);
  await lockstep.close();
}, 120_000);
