// The demo's verdict checker fails on doctored evidence: each claim it prints can fail.
import { describe, expect, it } from 'vitest';
import type { DemoEvent } from '../apps/demo/src/evidence.js';
import { type EndState, type VerdictRow, verdict } from '../apps/demo/src/verdict/checks.js';

const end: EndState = {
  charges: new Map([['i1', 1]]),
  reportPermitsInUse: 0,
  jobsLeft: 0,
  cronSlots: [10, 12],
  tally: new Map(),
};

/** Evidence of a healthy run: one of each kind, nothing overlapping. */
function healthy(): DemoEvent[] {
  return [
    {
      k: 'pay',
      replica: 'api-1',
      invoice: 'i1',
      fence: 5,
      t0: 0,
      v: 500,
      v1: 500,
      t1: 20,
      result: 'paid',
      paused: false,
    },
    {
      k: 'pay',
      replica: 'api-2',
      invoice: 'i1',
      fence: 6,
      t0: 30,
      v: 530,
      v1: 530,
      t1: 50,
      result: 'already',
      paused: false,
    },
    {
      k: 'export',
      replica: 'api-1',
      tenant: 'acme',
      plan: 'pro',
      limit: 2,
      arrived: 0,
      t0: 1,
      t1: 100,
      v1: 1_000,
      jobId: '1',
    },
    {
      k: 'export',
      replica: 'api-2',
      tenant: 'acme',
      plan: 'free',
      limit: 2,
      arrived: 0,
      t0: 2,
      t1: 100,
      v1: 1_000,
      jobId: '2',
    },
    ...[10, 11, 12].map((slot): DemoEvent => ({ k: 'cron-fire', replica: 'api-1', slot })),
    ...[10, 11, 12].map((slot): DemoEvent => ({ k: 'cron-run', replica: 'api-2', slot, fence: slot })),
    { k: 'report', replica: 'api-1', limit: 3, t0: 0, t1: 250, v1: 1_000, aborted: false, lost: false },
    { k: 'job', worker: 'worker-1', jobId: '1', tenant: 'acme', limit: 3, t0: 200, t1: 400, starts: 1 },
    { k: 'job', worker: 'worker-2', jobId: '2', tenant: 'acme', limit: 3, t0: 410, t1: 600, starts: 2 },
  ];
}

function failed(events: DemoEvent[], state: EndState = end): string[] {
  return verdict(events, state)
    .filter((r: VerdictRow) => !r.pass)
    .map((r) => `${r.area}: ${r.check}`);
}

describe('demo verdict', () => {
  it('passes healthy evidence', () => {
    expect(failed(healthy())).toEqual([]);
  });

  it('fails on two payments of one invoice at once, a double charge, or a late stale write accepted', () => {
    const overlap = healthy().map((e) => (e.k === 'pay' && e.fence === 6 ? { ...e, t0: 10 } : e));
    expect(failed(overlap)).toEqual(['invoices: payments of one invoice overlapping']);
    expect(failed(healthy(), { ...end, charges: new Map([['i1', 2]]) })).toEqual([
      'invoices: invoices charged more than once',
    ]);
    const late: DemoEvent[] = [
      ...healthy(),
      {
        k: 'pay',
        replica: 'api-3',
        invoice: 'i1',
        fence: 4,
        t0: -100,
        v: 0,
        v1: 0,
        t1: 1_200,
        result: 'paid',
        paused: true,
      },
    ];
    expect(failed(late)).toEqual(['invoices: stale fences rejected by the store']);
  });

  it('fails on more exports of a tenant than its limit, and on a free user served ahead of a waiting pro', () => {
    const third: DemoEvent = {
      k: 'export',
      replica: 'api-3',
      tenant: 'acme',
      plan: 'free',
      limit: 2,
      arrived: 0,
      t0: 3,
      t1: 50,
      v1: 1_000,
      jobId: '3',
    };
    expect(failed([...healthy(), third])).toContain('exports: most in flight per tenant <= limit 2');
    const overtaken: DemoEvent[] = [
      ...healthy(),
      {
        k: 'export',
        replica: 'api-3',
        tenant: 'globex',
        plan: 'pro',
        limit: 2,
        arrived: 0,
        t0: 5_000,
        t1: 5_100,
        v1: 6_000,
        jobId: '4',
      },
      {
        k: 'export',
        replica: 'api-1',
        tenant: 'globex',
        plan: 'free',
        limit: 2,
        arrived: 0,
        t0: 4_000,
        t1: 4_100,
        v1: 5_000,
        jobId: '5',
      },
    ];
    expect(failed(overtaken)).toContain('exports: order by plan: free served before a waiting pro');
  });

  it('fails on a tick run twice or not at all', () => {
    const twice: DemoEvent[] = [...healthy(), { k: 'cron-run', replica: 'api-3', slot: 11, fence: 99 }];
    expect(failed(twice)).toEqual(['cron: runs per tick = 1 (3 replicas fire)']);
    const none = healthy().filter((e) => !(e.k === 'cron-run' && e.slot === 12));
    expect(failed(none)).toEqual(['cron: runs per tick = 1 (3 replicas fire)']);
  });

  it('fails on reports over the limit and on a permit still taken after the load', () => {
    const reports: DemoEvent[] = [1, 2, 3].map((i) => ({
      k: 'report',
      replica: `api-${i}`,
      limit: 3,
      t0: i,
      t1: 300,
      v1: 1_000,
      aborted: false,
      lost: false,
    }));
    // A permit lost in a pause ends its window at the loss: not over the limit then.
    const lostEarly = reports.map((e, i) => (e.k === 'report' && i === 0 ? { ...e, v1: 1, lost: true } : e));
    expect(failed([...healthy(), ...lostEarly])).toEqual([]);
    expect(failed([...healthy(), ...reports])).toEqual(['reports: most in flight <= limit 3 (Express)']);
    expect(failed(healthy(), { ...end, reportPermitsInUse: 1 })).toEqual([
      'reports: slots of clients that hung up came back',
    ]);
  });

  it('fails on jobs over a tenant limit, jobs not done, and wake-ups left to the fallback', () => {
    const crowded: DemoEvent[] = [
      ...healthy(),
      ...[3, 4, 5].map(
        (i): DemoEvent => ({
          k: 'job',
          worker: 'worker-1',
          jobId: String(i),
          tenant: 'acme',
          limit: 3,
          t0: 250,
          t1: 300,
          starts: 1,
        }),
      ),
    ];
    expect(failed(crowded)).toContain('jobs: most running per tenant <= its limit');
    expect(failed(healthy().filter((e) => !(e.k === 'job' && e.jobId === '2')))).toEqual([
      'jobs: jobs done per tenant (done/enqueued)',
    ]);
    const slow = healthy().map((e) => (e.k === 'job' && e.jobId === '2' ? { ...e, t0: 6_000, t1: 6_100 } : e));
    expect(failed(slow)).toEqual(['jobs: parked jobs woken by a release (< 5000 ms fallback)']);
  });
});
