// Drives the service with realistic contention until stopped: bursts of payments on one invoice
// (some stalled past their lock), a noisy tenant's export bursts next to quiet tenants with pro and
// free users, and report readers of whom some hang up.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lockstep } from '@lockstep/core';
import { TENANTS } from '../settings.js';
import { type Outcome, send } from './http.js';

/** Client-side counts: `pay 200`, `export 503`, `report aborted`, … */
export type Tally = Map<string, number>;

/** What the generator needs to know. */
export interface LoadTarget {
  /** Base URLs of the replicas. */
  readonly replicas: readonly string[];
  /** A Lockstep on the demo's Redis (the demo prefix), to see when a paused payment holds its lock. */
  readonly lockstep: Lockstep;
}

/** A running load generator. */
export interface Load {
  readonly tally: Tally;
  /** Invoices that got a burst. */
  readonly invoices: string[];
  /** Stops sending and resolves when every request in flight has settled. */
  stop(): Promise<void>;
}

function count(tally: Tally, key: string, outcome: Outcome): void {
  const name = `${key} ${outcome}`;
  tally.set(name, (tally.get(name) ?? 0) + 1);
}

/** Starts the load; `runId` keeps invoice ids unique per run (a shared REDIS_URL). */
export function startLoad(target: LoadTarget, runId: string): Load {
  const tally: Tally = new Map();
  const invoices: string[] = [];
  let stopped = false;
  const inFlight = new Set<Promise<unknown>>();
  const pick = (i: number) => target.replicas[i % target.replicas.length] as string;
  const track = <T>(p: Promise<T>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };
  const pay = (invoice: string, replica: number, pause = false) =>
    track(send(`${pick(replica)}/invoices/${invoice}/pay${pause ? '?pause=1' : ''}`, 'POST')).then((r) =>
      count(tally, pause ? 'pay(paused)' : 'pay', r.outcome),
    );
  const exportFor = (tenant: string, plan: string, replica: number) =>
    track(send(`${pick(replica)}/exports`, 'POST', { tenant, plan })).then((r) => count(tally, 'export', r.outcome));

  async function invoiceBursts(): Promise<void> {
    for (let n = 1; !stopped; n++) {
      const invoice = `${runId}-${n}`;
      invoices.push(invoice);
      const burst: Promise<void>[] = [];
      if (n % 3 === 1) {
        // One payment stalls its replica while holding the lock; the others queue on other replicas.
        burst.push(pay(invoice, n, true));
        const lock = target.lockstep.lock(`invoice:${invoice}`);
        for (let i = 0; i < 60 && !(await lock.inspect()).held; i++) await sleep(50);
      }
      for (let i = 1; i <= 5; i++) burst.push(pay(invoice, n + i));
      await Promise.all(burst);
      await sleep(800);
    }
  }

  async function noisyTenant(): Promise<void> {
    for (let n = 0; !stopped; n++) {
      // Free users click first, pro users a moment later: the pro exports still go first.
      const burst: Promise<void>[] = [];
      for (let i = 0; i < 5; i++) burst.push(exportFor('acme', 'free', n + i));
      await sleep(60);
      for (let i = 0; i < 3; i++) burst.push(exportFor('acme', 'pro', n + i));
      await Promise.all(burst);
      await sleep(1_500);
    }
  }

  async function quietTenant(tenant: string, offset: number): Promise<void> {
    for (let n = offset; !stopped; n++) {
      await exportFor(tenant, n % 3 === 0 ? 'pro' : 'free', n);
      await sleep(500 + randomInt(700));
    }
  }

  async function reportReader(reader: number): Promise<void> {
    for (let n = 0; !stopped; n++) {
      // Every fourth request hangs up after 100 ms: in the queue, or while its report renders.
      const leave = (n + reader) % 4 === 0 ? 100 : undefined;
      const r = await track(send(`${pick(reader + n)}/reports/r-${reader}-${n}`, 'GET', undefined, leave));
      count(tally, 'report', r.outcome);
      await sleep(randomInt(100));
    }
  }

  const loops = [
    invoiceBursts(),
    noisyTenant(),
    ...TENANTS.filter((t) => t !== 'acme').map((t, i) => quietTenant(t, i)),
    ...[0, 1, 2, 3, 4, 5].map((i) => reportReader(i)),
  ];
  return {
    tally,
    invoices,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await Promise.all([...inFlight]);
    },
  };
}
