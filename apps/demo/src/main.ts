// ./bin/demo: starts Redis (or uses REDIS_URL), 3 Nest API replicas and 2 BullMQ export workers as
// separate processes, drives them with the load generator, prints a live summary, then the verdict
// checked from the recorded evidence. Exits 1 if a check fails; stops every process it started.
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lockstep } from '@lockstep/core';
import { freePort } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import type { DemoEvent } from './evidence.js';
import { startLoad } from './load/load-generator.js';
import { findRedis } from './redis-source.js';
import { type Child, type ChildSink, isAlive, startChild, stopChild, whenReady } from './run/children.js';
import { readEndState, removeQueue } from './run/end-state.js';
import { type DemoOptions, parseOptions, USAGE } from './run/options.js';
import { summaryLine } from './run/summary.js';
import { PREFIX } from './settings.js';
import { verdict } from './verdict/checks.js';
import { formatVerdict } from './verdict/table.js';

const READY_TIMEOUT_MS = 180_000;

function options(): DemoOptions {
  try {
    const parsed = parseOptions(process.argv.slice(2).filter((a) => a !== '--'));
    if (parsed) return parsed;
    console.log(USAGE);
    process.exit(0);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
}

const opts = options();
const events: DemoEvent[] = [];
/** The evidence recorder: every event also goes to a JSON-lines file, to read or re-check later. */
const evidenceFile = join(tmpdir(), `lockstep-demo-${Date.now()}.jsonl`);
writeFileSync(evidenceFile, '');
const children: Child[] = [];
let stopping = false;
/** Why the run ends early: Ctrl-C (or SIGTERM), or a child that died. */
let cause: 'signal' | 'crash' | undefined;
let wake: () => void = () => undefined;
const interruption = new Promise<void>((resolve) => {
  wake = resolve;
});
const interrupted = (why: 'signal' | 'crash') => {
  cause ??= why;
  wake();
};
const sink: ChildSink = {
  onEvent: (event) => {
    events.push(event);
    appendFileSync(evidenceFile, `${JSON.stringify(event)}\n`);
  },
  onExit: (child, code) => {
    if (!stopping && cause !== 'signal') {
      console.error(`\n${child.label} (pid ${child.pid}) exited unexpectedly (${code}):\n${child.stderrTail()}`);
      interrupted('crash');
    }
  },
};
let signals = 0;
let redisPid: number | undefined;
process.on('SIGINT', () => {
  signals++;
  if (signals > 1) {
    // A second Ctrl-C: no more waiting for a clean stop.
    for (const c of children) c.process.kill('SIGKILL');
    if (redisPid !== undefined) process.kill(redisPid, 'SIGKILL');
    process.exit(130);
  }
  console.log('\nCtrl-C: stopping everything the demo started…');
  interrupted('signal');
});
process.on('SIGTERM', () => interrupted('signal'));

const source = await findRedis();
redisPid = source.pid;
const pids: { label: string; pid: number }[] = source.pid ? [{ label: 'redis-server', pid: source.pid }] : [];
console.log(`Lockstep demo: an invoices-and-exports service on ${source.description}`);
const redis = new Redis(source.url);
redis.on('error', (err) => {
  if (!stopping) console.error(`Redis: ${err.message}`);
});
const lockstep = new Lockstep({ redis, prefix: PREFIX });
let exitCode = 0;
try {
  const ports = [await freePort(), await freePort(), await freePort()];
  ports.forEach((port, i) => {
    children.push(
      startChild(`api-${i + 1}`, 'api/main.ts', { name: `api-${i + 1}`, port, redisUrl: source.url }, sink),
    );
  });
  for (const name of ['worker-1', 'worker-2']) {
    children.push(startChild(name, 'worker/export-worker.ts', { name, redisUrl: source.url }, sink));
  }
  for (const c of children) pids.push({ label: c.label, pid: c.pid });
  console.log(`Starting ${children.map((c) => `${c.label} (pid ${c.pid})`).join(', ')}…`);
  await Promise.race([Promise.all(children.map((c) => whenReady(c, READY_TIMEOUT_MS))), interruption]);
  if (cause) throw new Error(cause === 'signal' ? 'Interrupted while starting.' : 'A process died while starting.');
  const replicas = ports.map((p) => `http://127.0.0.1:${p}`);
  const dashboard = `${replicas[0]}/admin/locks/`;
  console.log(`\nDashboard: ${dashboard}   (every replica serves it; API replicas: ${replicas.join(' ')})`);
  console.log(`Running the load for ${opts.durationS} s${opts.keep ? ', then serving until Ctrl-C' : ''}…\n`);

  const startedAt = Date.now();
  const load = startLoad({ replicas, lockstep }, `inv-${startedAt.toString(36)}`);
  const ticker = setInterval(() => {
    console.log(summaryLine(Math.round((Date.now() - startedAt) / 1000), events, load.tally));
  }, opts.summaryS * 1_000);
  const timer = new Promise<void>((resolve) => setTimeout(resolve, opts.durationS * 1_000).unref());
  await Promise.race([timer, interruption]);
  const endedAt = Date.now();
  clearInterval(ticker);
  if (cause === undefined) {
    console.log('\nLoad stopped; letting the export queue drain…');
    await load.stop();
    const end = await readEndState({ redis, redisUrl: source.url, lockstep, load, startedAt, endedAt });
    const rows = verdict(events, end);
    console.log(
      `\nVerdict (checked from ${events.length} recorded events, in ${evidenceFile}):\n${formatVerdict(rows)}\n`,
    );
    const pass = rows.every((r) => r.pass);
    exitCode = pass ? 0 : 1;
    console.log(pass ? 'All checks passed.' : 'Some checks FAILED.');
    if (opts.json)
      writeFileSync(opts.json, `${JSON.stringify({ pass, dashboard, evidence: evidenceFile, rows, pids }, null, 2)}\n`);
    if (opts.keep && children.every((c) => c.process.exitCode === null)) {
      console.log(`\nServing ${dashboard} with load until Ctrl-C…`);
      const again = startLoad({ replicas, lockstep }, `inv-${Date.now().toString(36)}`);
      const keepTicker = setInterval(() => {
        console.log(summaryLine(Math.round((Date.now() - startedAt) / 1000), events, again.tally));
      }, opts.summaryS * 1_000);
      await interruption;
      clearInterval(keepTicker);
      await again.stop();
    }
  } else {
    exitCode = cause === 'signal' ? 130 : 1;
    console.log(cause === 'signal' ? 'Interrupted: no verdict.' : 'A process died: no verdict.');
    await load.stop();
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  exitCode = cause === 'signal' ? 130 : 1;
} finally {
  stopping = true;
  await Promise.all(children.map((c) => stopChild(c)));
  if (source.pid === undefined) await removeQueue(source.url).catch(() => undefined);
  await lockstep.close();
  await redis.quit().catch(() => redis.disconnect());
  await source.stop();
  const stray = pids.filter((p) => isAlive(p.pid));
  console.log(
    stray.length === 0
      ? `Stopped ${pids.length} processes (${pids.map((p) => p.pid).join(', ')}); none left running.`
      : `Still running: ${stray.map((p) => `${p.label} ${p.pid}`).join(', ')}`,
  );
  if (stray.length > 0) exitCode = exitCode || 1;
}
process.exit(exitCode);
