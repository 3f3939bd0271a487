// The OTel bridge, read back through the SDK's in-memory exporter: on Redis and in memory.
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import type { LockstepLike } from '../../core/src/index.js';
import { createMemoryLockstep } from '../../core/src/testing/index.js';
import { instrumentLockstep, type LockstepMetrics } from '../src/index.js';

interface Point {
  readonly attributes: Record<string, unknown>;
  readonly value: unknown;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function setup(options: { nameAttribute?: boolean | undefined } = {}): {
  bridge: LockstepMetrics;
  read: () => Promise<Map<string, Point[]>>;
} {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const bridge = instrumentLockstep({ meterProvider: provider, ...options });
  cleanup.push(
    () => bridge.close(),
    () => provider.shutdown(),
  );
  const read = async () => {
    exporter.reset();
    await reader.forceFlush();
    const out = new Map<string, Point[]>();
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          const points = metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }));
          out.set(metric.descriptor.name, [...(out.get(metric.descriptor.name) ?? []), ...points]);
        }
      }
    }
    return out;
  };
  return { bridge, read };
}

const count = (points: Point[] | undefined, attrs: Record<string, unknown>) =>
  (points ?? [])
    .filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count), 0);

const backends: { name: string; create: () => LockstepLike }[] = [
  { name: 'redis', create: () => standaloneLockstep().lockstep },
  {
    name: 'memory',
    create: () => {
      const lockstep = createMemoryLockstep();
      cleanup.push(() => lockstep.close());
      return lockstep;
    },
  },
];

describe('instrumentLockstep() options', () => {
  it('refuses unknown names and bad values with ERR_INVALID_ARGUMENT naming them, subscribing to nothing', () => {
    const bad: [unknown, string][] = [
      [{ nameAtribute: true }, 'did you mean `nameAttribute`?'],
      [{ bogus: 1 }, 'Unknown option `bogus`'],
      [{ nameAttribute: 'yes' }, '`nameAttribute`'],
      [{ meterProvider: {} }, '`meterProvider`'],
      [{ meterProvider: null }, '`meterProvider`'],
      [null, 'options to be an object'],
      ['name', 'options to be an object'],
    ];
    for (const [options, message] of bad) {
      expect(() => instrumentLockstep(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining(message) }),
      );
    }
    const fine = instrumentLockstep({ nameAttribute: undefined, meterProvider: undefined });
    fine.close();
  });
});

describe.each(backends)('OTel metrics: $name', ({ create }) => {
  it('records waits, outcomes, held time, losses and the waiters gauge', async () => {
    const { bridge, read } = setup();
    const lockstep = create();
    // The waiter's lease is short, to be lost soon. The first holder's is long: it must still be
    // held when it is released, and busy a try, however long the calls between take on a loaded
    // machine (with 200 ms it could expire first, and hand the name on by itself).
    const lock = lockstep.lock('otel', { ttlMs: 200 });
    bridge.observeWaiters(lock);
    const lease = await lockstep.lock('otel', { ttlMs: 30_000 }).acquire();
    expect(await lock.tryAcquire()).toBeNull();
    const waiter = lock.acquire({ waitMs: 10_000 });
    await eventually(async () => (await lock.inspect()).waiting === 1);
    const during = await read();
    expect(during.get('lockstep.waiters')).toEqual([
      { attributes: { 'lockstep.kind': 'lock', 'lockstep.name': 'otel' }, value: 1 },
    ]);
    expect(await lease.release()).toBe(true);
    const second = await waiter;
    await new Promise((resolve) => second.signal.addEventListener('abort', resolve));
    const sem = lockstep.semaphore('otel-sem', { limit: 2 });
    await sem.withPermit(async () => undefined, { weight: 2 });

    const m = await read();
    const outcomes = m.get('lockstep.acquire.outcomes');
    expect(count(outcomes, { 'lockstep.kind': 'lock', 'lockstep.outcome': 'granted' })).toBe(2);
    expect(count(outcomes, { 'lockstep.kind': 'lock', 'lockstep.outcome': 'queued' })).toBe(1);
    expect(count(outcomes, { 'lockstep.kind': 'lock', 'lockstep.outcome': 'busy' })).toBe(1);
    expect(count(outcomes, { 'lockstep.kind': 'semaphore', 'lockstep.outcome': 'granted' })).toBe(1);
    expect(count(m.get('lockstep.acquire.wait'), { 'lockstep.outcome': 'granted' })).toBe(3);
    expect(count(m.get('lockstep.lease.held'), { 'lockstep.kind': 'lock' })).toBe(2);
    expect(count(m.get('lockstep.lease.held'), { 'lockstep.kind': 'semaphore' })).toBe(1);
    expect(count(m.get('lockstep.lease.lost'), { 'lockstep.reason': 'expired' })).toBe(1);
    expect(m.get('lockstep.waiters')?.[0]?.value).toBe(0);
    const attrs = JSON.stringify([...m.values()]);
    expect(attrs).not.toContain(lease.token);
    expect(attrs).not.toContain('"lockstep.name":"otel-sem"');
  });

  it('counts the time a releaseAfter(ms) keeps the name taken as held time', async () => {
    const { read } = setup();
    const lease = await create().lock('otel-after', { ttlMs: 10_000 }).acquire();
    expect(await lease.releaseAfter(60_000)).toBe(true);
    const held = (await read()).get('lockstep.lease.held') ?? [];
    expect(held).toHaveLength(1);
    const point = held[0]?.value as { count: number; sum: number };
    expect(point.count).toBe(1);
    expect(point.sum).toBeGreaterThanOrEqual(60_000);
    expect(point.sum).toBeLessThan(70_000);
  });

  it('takes nameAttribute: undefined as absent: no name attribute', async () => {
    const { read } = setup({ nameAttribute: undefined });
    const lock = create().lock('unnamed');
    await (await lock.acquire()).release();
    const outcomes = (await read()).get('lockstep.acquire.outcomes');
    expect(count(outcomes, { 'lockstep.outcome': 'granted' })).toBe(1);
    expect(JSON.stringify(outcomes)).not.toContain('lockstep.name');
  });

  it('adds the name when asked, and records nothing once closed', async () => {
    const { bridge, read } = setup({ nameAttribute: true });
    const lock = create().lock('named');
    await (await lock.acquire()).release();
    const m = await read();
    expect(count(m.get('lockstep.acquire.outcomes'), { 'lockstep.name': 'named', 'lockstep.outcome': 'granted' })).toBe(
      1,
    );
    bridge.close();
    await (await lock.acquire()).release();
    const after = await read();
    expect(count(after.get('lockstep.acquire.outcomes'), { 'lockstep.outcome': 'granted' })).toBe(1);
  });
});
