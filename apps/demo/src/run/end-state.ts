// Reads what the verdict needs from Redis once the load has stopped: the store's charges, the
// report permits still taken, and the export jobs left after the queue drained.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lockstep } from '@lockstep/core';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { STORE_PREFIX } from '../api/fenced-store.js';
import type { Load } from '../load/load-generator.js';
import { bullConnection, JOBS, REPORTS, slotOf } from '../settings.js';
import type { EndState } from '../verdict/checks.js';

const DRAIN_MS = 40_000;

/** What readEndState reads from. */
export interface EndInput {
  readonly redis: Redis;
  readonly redisUrl: string;
  readonly lockstep: Lockstep;
  readonly load: Load;
  /** Wall-clock start and end of the load, epoch ms. */
  readonly startedAt: number;
  readonly endedAt: number;
}

async function jobsLeft(redisUrl: string): Promise<number> {
  const queue = new Queue(JOBS.queue, { connection: bullConnection(redisUrl), prefix: JOBS.prefix });
  try {
    const until = Date.now() + DRAIN_MS;
    for (;;) {
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
      const left = Object.values(counts).reduce((a, b) => a + b, 0);
      if (left === 0 || Date.now() > until) return left;
      await sleep(250);
    }
  } finally {
    await queue.close();
  }
}

/** The end state; waits for the queue to drain (bounded). */
export async function readEndState(input: EndInput): Promise<EndState> {
  const reports = input.lockstep.semaphore(REPORTS.name, { limit: REPORTS.limit });
  // Permits of clients that hung up come back on `close`, at once; the TTL (30 s) would take longer.
  let inUse = (await reports.inspect()).used;
  for (let i = 0; i < 20 && inUse > 0; i++) {
    await sleep(100);
    inUse = (await reports.inspect()).used;
  }
  const left = await jobsLeft(input.redisUrl);
  const charges = new Map<string, number>();
  for (const invoice of input.load.invoices) {
    const value = await input.redis.hget(`${STORE_PREFIX}${invoice}`, 'charges');
    charges.set(invoice, Number(value ?? 0));
  }
  return {
    charges,
    reportPermitsInUse: inUse,
    jobsLeft: left,
    cronSlots: [slotOf(input.startedAt) + 1, slotOf(input.endedAt) - 1],
    tally: input.load.tally,
  };
}

/** Removes the demo's BullMQ queue from a Redis the demo did not start (its other keys have TTLs). */
export async function removeQueue(redisUrl: string): Promise<void> {
  const queue = new Queue(JOBS.queue, { connection: bullConnection(redisUrl), prefix: JOBS.prefix });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
