// Several OS processes, each a Nest application, share one Redis: exclusion with increasing fences,
// cron once per tick with a skewed clock, and @Limited's limit and priority order.
import { Lockstep } from '@lockstep/core';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient, standalonePort } from '@lockstep/test-utils/context';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHistory } from '../../../test/support/checker.js';
import type { HistoryEvent } from '../../../test/support/history.js';
import type { WorkerConfig } from './fixtures/nest-worker.js';
import { type NestWorker, startNestWorker, stopNestWorker } from './support/nest-workers.js';

const redisUrl = () => `redis://127.0.0.1:${standalonePort()}`;
let workers: NestWorker[] = [];

function start(config: Omit<WorkerConfig, 'redisUrl'>, clockShiftMs = 0): NestWorker {
  const worker = startNestWorker({ ...config, redisUrl: redisUrl() }, clockShiftMs);
  workers.push(worker);
  return worker;
}

afterEach(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  workers = [];
});

function eventsOf(all: NestWorker[]): HistoryEvent[] {
  return all.flatMap((w) =>
    w.lines.filter((l) => l.startsWith('EV ')).map((l) => JSON.parse(l.slice(3)) as HistoryEvent),
  );
}

async function stopAll(all: NestWorker[]): Promise<void> {
  const codes = await Promise.all(all.map((w) => stopNestWorker(w)));
  // Each process exits by itself after app.close(): no timer, socket or subscriber left open.
  expect(codes, all.map((w) => w.stderr()).join('\n')).toEqual(all.map(() => 0));
  for (const w of all) expect(w.lines.at(-1)).toBe('CLOSED');
}

describe('across Nest processes', () => {
  it('@Locked excludes across two processes; fences increase with every grant', async () => {
    const prefix = uniquePrefix('nx');
    const pair = ['a', 'b'].map((label) => start({ mode: 'exclusion', prefix, label, calls: 250, callers: 4 }));
    await Promise.all(pair.map((w) => w.waitFor('READY')));
    for (const w of pair) w.send('go');
    await Promise.all(pair.map((w) => w.waitFor('DONE', { timeoutMs: 120_000 })));
    await stopAll(pair);

    const events = eventsOf(pair);
    const result = checkHistory(events, () => 1);
    expect(result.violations).toEqual([]);
    expect(result.windows).toBe(2_000);
    const grants = events.filter((e) => e.e === 'grant').sort((x, y) => x.t - y.t);
    expect(new Set(grants.map((g) => g.w))).toEqual(new Set(['a', 'b']));
    for (let i = 1; i < grants.length; i++) {
      expect(grants[i]?.fence as number).toBeGreaterThan(grants[i - 1]?.fence as number);
    }
  });

  it('@Cron + @Locked({ onBusy: skip, minHoldMs }) runs each tick once across three processes, one 250 ms behind', async () => {
    const prefix = uniquePrefix('ncron');
    const trio = [
      start({ mode: 'cron', prefix, label: 'a', minHoldMs: 700 }),
      start({ mode: 'cron', prefix, label: 'b', minHoldMs: 700 }),
      // Fires 250 ms after the others, long after their 5 ms job ended: minHoldMs makes it skip.
      start({ mode: 'cron', prefix, label: 'late', minHoldMs: 700 }, -250),
    ];
    await Promise.all(trio.map((w) => w.waitFor('READY')));
    const first = Math.ceil(Date.now() / 1000) + 1;
    const last = first + 20;
    await new Promise((resolve) => setTimeout(resolve, (last + 1.5) * 1000 - Date.now()));
    await stopAll(trio);

    const runs = trio.flatMap((w) =>
      w.lines
        .filter((l) => l.startsWith('RUN '))
        .map((l) => JSON.parse(l.slice(4)) as { tick: number; w: string; fence: number }),
    );
    for (let tick = first; tick <= last; tick++) {
      const inTick = runs.filter((r) => r.tick === tick);
      expect(
        inTick.map((r) => r.w),
        `tick ${tick}`,
      ).toHaveLength(1);
    }
    const fences = runs.sort((x, y) => x.tick - y.tick).map((r) => r.fence);
    expect(fences).toEqual([...fences].sort((x, y) => x - y));
  });

  it('@Limited never lets more than `limit` run across two processes', async () => {
    const prefix = uniquePrefix('nlim');
    const pair = ['a', 'b'].map((label) => start({ mode: 'limited', prefix, label, limit: 3, calls: 40, callers: 6 }));
    await Promise.all(pair.map((w) => w.waitFor('READY')));
    for (const w of pair) w.send('go');
    await Promise.all(pair.map((w) => w.waitFor('DONE', { timeoutMs: 120_000 })));
    await stopAll(pair);

    const result = checkHistory(eventsOf(pair), () => 3);
    expect(result.violations).toEqual([]);
    expect(result.windows).toBe(480);
    expect(result.maxConcurrent.get('limited')).toBeGreaterThanOrEqual(2);
  });

  it('@Limited serves queued calls of two processes by priority, then in arrival order', async () => {
    const prefix = uniquePrefix('nprio');
    const [a, b] = ['a', 'b'].map((label) => start({ mode: 'queue', prefix, label, limit: 2 })) as [
      NestWorker,
      NestWorker,
    ];
    await Promise.all([a, b].map((w) => w.waitFor('READY')));
    const observer = new Lockstep({ redis: standaloneClient(), prefix });
    const queue = observer.semaphore('queue', { limit: 2, priorities: ['critical', 'bulk'] });
    const waiting = async (n: number) => {
      for (let i = 0; i < 400 && (await queue.inspect()).waiting !== n; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect((await queue.inspect()).waiting).toBe(n);
    };
    a.send('call hold1 bulk');
    b.send('call hold2 bulk');
    await Promise.all([a.waitFor('STARTED hold1'), b.waitFor('STARTED hold2')]);
    const enqueue: [NestWorker, string, string][] = [
      [b, 'b1', 'bulk'],
      [a, 'a1', 'bulk'],
      [b, 'b2', 'critical'],
      [a, 'a2', 'critical'],
      [b, 'b3', 'bulk'],
    ];
    for (const [i, [worker, label, priority]] of enqueue.entries()) {
      worker.send(`call ${label} ${priority}`);
      await waiting(i + 1);
    }
    const started = (w: NestWorker) => w.lines.filter((l) => l.startsWith('STARTED ')).map((l) => l.slice(8));
    const order: string[] = [];
    let running = ['hold1', 'hold2'];
    while (order.length < enqueue.length) {
      const done = running.shift() as string;
      for (const w of [a, b]) w.send(`finish ${done}`);
      const before = [...started(a), ...started(b)].length;
      await Promise.race([a, b].map((w) => w.waitFor('STARTED', { from: w.lines.length })));
      for (let i = 0; i < 200 && [...started(a), ...started(b)].length === before; i++)
        await new Promise((r) => setTimeout(r, 10));
      const next = [...started(a), ...started(b)].find((l) => !order.includes(l) && !l.startsWith('hold')) as string;
      order.push(next);
      running.push(next);
    }
    expect(order).toEqual(['b2', 'a2', 'b1', 'a1', 'b3']);
    for (const label of running) for (const w of [a, b]) w.send(`finish ${label}`);
    running = [];
    await observer.close();
    await stopAll([a, b]);
  });
});
