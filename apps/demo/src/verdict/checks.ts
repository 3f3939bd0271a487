// The verdict: each claim of the demo checked from the recorded evidence and the state left in Redis.
import type {
  CronFireEvent,
  CronRunEvent,
  DemoEvent,
  ExportEvent,
  JobEvent,
  PayEvent,
  ReportEvent,
} from '../evidence.js';
import { EXPORTS, INVOICE, JOBS, jobLimit, REPORTS } from '../settings.js';
import { groupBy, type Interval, maxConcurrent, overlaps, percentile } from './intervals.js';

/** One line of the verdict table. */
export interface VerdictRow {
  readonly area: string;
  readonly check: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** What the orchestrator read from Redis and the clients after the load stopped. */
export interface EndState {
  /** Charges per invoice in the fenced store. */
  readonly charges: ReadonlyMap<string, number>;
  /** `reports` permits in use right after the last client finished (its TTL is 30 s). */
  readonly reportPermitsInUse: number;
  /** Export jobs still waiting, delayed or active after the drain. */
  readonly jobsLeft: number;
  /** Cron slots fully inside the run, inclusive. */
  readonly cronSlots: readonly [number, number];
  /** Client-side counts (`report aborted`, `export 503`, …). */
  readonly tally: ReadonlyMap<string, number>;
}

/** A rule: how many milliseconds a pro user must have waited before a free user's grant counts as overtaking. */
const ORDER_MARGIN_MS = 1_000;
const ms = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n)} ms`);
const of = <K extends DemoEvent['k']>(events: readonly DemoEvent[], k: K) =>
  events.filter((e) => e.k === k) as Extract<DemoEvent, { k: K }>[];

function invoices(pays: readonly PayEvent[], end: EndState): VerdictRow[] {
  const byInvoice = groupBy(pays, (p) => p.invoice);
  let overlapping = 0;
  for (const list of byInvoice.values()) {
    overlapping += overlaps(list.map((p) => ({ start: p.t0, end: Math.min(p.t1, p.v1) })));
  }
  const twice = [...end.charges.values()].filter((n) => n > 1).length;
  const charged = [...end.charges.values()].filter((n) => n >= 1).length;
  const paused = pays.filter((p) => p.paused);
  const stale = pays.filter((p) => p.result === 'stale').length;
  // A paused payment writes after its pause ends; if a newer holder had finished its write by then,
  // the store must have refused the paused one.
  const acceptedLate = paused.filter(
    (p) =>
      p.result !== 'stale' &&
      (byInvoice.get(p.invoice) ?? []).some((q) => q.fence > p.fence && q.t1 < p.t0 + INVOICE.pauseMs),
  ).length;
  return [
    {
      area: 'invoices',
      check: 'payments of one invoice overlapping',
      measured: `${overlapping} overlaps in ${pays.length} payments of ${byInvoice.size} invoices`,
      pass: overlapping === 0 && pays.length > 0,
    },
    {
      area: 'invoices',
      check: 'invoices charged more than once',
      measured: `${twice} of ${charged} charged`,
      pass: twice === 0 && charged > 0,
    },
    {
      area: 'invoices',
      check: 'stale fences rejected by the store',
      measured: `${stale} rejected; ${paused.length} payments paused past their lock, ${acceptedLate} accepted after a newer write`,
      pass: acceptedLate === 0,
    },
  ];
}

/** Stop-the-world pauses per replica (the paused payments): evidence recorded there is late. */
function pausesOf(pays: readonly PayEvent[]): Map<string, Interval[]> {
  const pauses = new Map<string, Interval[]>();
  for (const p of pays.filter((x) => x.paused)) {
    pauses.set(p.replica, [...(pauses.get(p.replica) ?? []), { start: p.t0, end: p.t1 }]);
  }
  return pauses;
}

function exportsRows(list: readonly ExportEvent[], pays: readonly PayEvent[], end: EndState): VerdictRow[] {
  const byTenant = groupBy(list, (e) => e.tenant);
  const most = [...byTenant].map(
    ([t, l]) => `${t} ${maxConcurrent(l.map((e) => ({ start: e.t0, end: Math.min(e.t1, e.v1) })))}`,
  );
  const over = [...byTenant.values()].some(
    (l) => maxConcurrent(l.map((e) => ({ start: e.t0, end: Math.min(e.t1, e.v1) }))) > EXPORTS.limit,
  );
  // A request whose replica was paused between its arrival and its start is not compared: its
  // queue entry or its grant happened at an unknown moment inside the pause.
  const pauses = pausesOf(pays);
  const clouded = (e: ExportEvent) =>
    (pauses.get(e.replica) ?? []).some((p) => p.start < e.t0 && p.end > e.arrived - ORDER_MARGIN_MS);
  let overtaken = 0;
  let compared = 0;
  for (const l of byTenant.values()) {
    const pros = l.filter((e) => e.plan === 'pro' && !clouded(e));
    for (const free of l.filter((e) => e.plan === 'free' && !clouded(e))) {
      compared++;
      if (pros.some((p) => p.arrived + ORDER_MARGIN_MS < free.t0 && p.t0 > free.t0)) overtaken++;
    }
  }
  const noisy = byTenant.get('acme') ?? [];
  const wait = (plan: string) =>
    percentile(
      noisy.filter((e) => e.plan === plan).map((e) => e.t0 - e.arrived),
      50,
    );
  return [
    {
      area: 'exports',
      check: `most in flight per tenant <= limit ${EXPORTS.limit}`,
      measured: `${most.join(', ')} (${list.length} prepared, ${end.tally.get('export 503') ?? 0} turned away 503)`,
      pass: !over && list.length > 0,
    },
    {
      area: 'exports',
      check: 'order by plan: free served before a waiting pro',
      measured: `${overtaken} of ${compared} free grants; acme's median wait pro ${ms(wait('pro'))}, free ${ms(wait('free'))}`,
      pass: overtaken === 0,
    },
  ];
}

function cronRows(fires: readonly CronFireEvent[], runs: readonly CronRunEvent[], end: EndState): VerdictRow[] {
  const [first, last] = end.cronSlots;
  const inside = (slot: number) => slot >= first && slot <= last;
  const ticks = new Set(fires.filter((f) => inside(f.slot)).map((f) => f.slot));
  const perTick = [...ticks].map((slot) => runs.filter((r) => r.slot === slot).length);
  const byReplica = groupBy(
    runs.filter((r) => inside(r.slot)),
    (r) => r.replica,
  );
  const spread = [...byReplica].map(([replica, l]) => `${replica} ${l.length}`).join(', ');
  const bad = perTick.filter((n) => n !== 1).length;
  return [
    {
      area: 'cron',
      check: 'runs per tick = 1 (3 replicas fire)',
      measured: `${ticks.size} ticks, ${bad} not run exactly once (${spread || 'no runs'})`,
      pass: bad === 0 && ticks.size > 0,
    },
  ];
}

function reportRows(list: readonly ReportEvent[], end: EndState): VerdictRow[] {
  const most = maxConcurrent(list.map((e) => ({ start: e.t0, end: Math.min(e.t1, e.v1) })));
  const left = end.tally.get('report aborted') ?? 0;
  const leftWhileRendering = list.filter((e) => e.aborted && !e.lost).length;
  const lost = list.filter((e) => e.lost).length;
  return [
    {
      area: 'reports',
      check: `most in flight <= limit ${REPORTS.limit} (Express)`,
      measured: `${most} (${list.length} admitted, ${end.tally.get('report 200') ?? 0} served, ${lost} permits lost in a pause)`,
      pass: most <= REPORTS.limit && list.length > 0,
    },
    {
      area: 'reports',
      check: 'slots of clients that hung up came back',
      measured: `${left} hung up (${leftWhileRendering} while rendering); ${end.reportPermitsInUse} permits in use after`,
      pass: end.reportPermitsInUse === 0,
    },
  ];
}

function jobRows(jobs: readonly JobEvent[], list: readonly ExportEvent[], end: EndState): VerdictRow[] {
  const byTenant = groupBy(jobs, (j) => j.tenant);
  const enqueued = groupBy(list, (e) => e.tenant);
  const done = [...enqueued.keys()].map((t) => `${t} ${byTenant.get(t)?.length ?? 0}/${enqueued.get(t)?.length ?? 0}`);
  const complete = [...enqueued].every(([t, l]) => new Set(byTenant.get(t)?.map((j) => j.jobId)).size === l.length);
  const most = [...byTenant].map(([t, l]) => ({ t, n: maxConcurrent(l.map((j) => ({ start: j.t0, end: j.t1 }))) }));
  const wakes: number[] = [];
  for (const l of byTenant.values()) {
    for (const j of l.filter((x) => x.starts > 1)) {
      const freed = l.filter((x) => x !== j && x.t1 <= j.t0).map((x) => x.t1);
      if (freed.length > 0) wakes.push(j.t0 - Math.max(...freed));
    }
  }
  const p50 = percentile(wakes, 50);
  return [
    {
      area: 'jobs',
      check: 'jobs done per tenant (done/enqueued)',
      measured: `${done.join(', ')}; ${end.jobsLeft} left`,
      pass: complete && end.jobsLeft === 0 && jobs.length > 0,
    },
    {
      area: 'jobs',
      check: 'most running per tenant <= its limit',
      measured: most.map(({ t, n }) => `${t} ${n}/${jobLimit(t)}`).join(', '),
      pass: most.every(({ t, n }) => n <= jobLimit(t)),
    },
    {
      area: 'jobs',
      check: `parked jobs woken by a release (< ${JOBS.fallbackDelayMs} ms fallback)`,
      measured: `${wakes.length} woken, wake latency p50 ${ms(p50)}, p99 ${ms(percentile(wakes, 99))}`,
      pass: p50 === undefined || p50 < JOBS.fallbackDelayMs,
    },
  ];
}

/** Every verdict row, from the events of the whole run and the end state. */
export function verdict(events: readonly DemoEvent[], end: EndState): VerdictRow[] {
  const exportEvents = of(events, 'export');
  const pays = of(events, 'pay');
  return [
    ...invoices(pays, end),
    ...exportsRows(exportEvents, pays, end),
    ...cronRows(of(events, 'cron-fire'), of(events, 'cron-run'), end),
    ...reportRows(of(events, 'report'), end),
    ...jobRows(of(events, 'job'), exportEvents, end),
  ];
}
