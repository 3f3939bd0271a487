// Wakes a parked job by id: BullMQ's own promote (delayed -> wait), through the running job's queue.
import { Job } from 'bullmq';
import type { GateJob } from './options.js';

type JobQueue = ConstructorParameters<typeof Job>[0];

// Any job of the queue carries the connection we need; BullMQ keeps it in a protected field, the
// one the public `Job.fromId(queue, id)` takes, so a Job for `id` can be built without a read.
function jobOf(from: GateJob, id: string): Job {
  const queue = (from as unknown as { queue: JobQueue }).queue;
  return new Job(queue, '', undefined, {}, id);
}

/** What happened to a promotion. */
export type PromoteOutcome = 'promoted' | 'not-delayed' | 'gone';

/**
 * Promotes job `id` of `from`'s queue so it runs as soon as a worker is free, and moves it to the
 * front of the jobs waiting with its BullMQ `priority` (`changePriority` with `lifo`): a permit is
 * held back for it, so it must not queue behind a backlog. A job that is not delayed any more (its
 * fallback delay ran out, or it is already running) is left alone; one that no longer exists (or
 * has finished) is reported `gone`.
 */
export async function promoteJob(from: GateJob, id: string, priority: number): Promise<PromoteOutcome> {
  const job = jobOf(from, id);
  // Sent together on one connection, so they run in this order. If the job was no longer delayed,
  // changePriority moves it to the front if it is waiting, or only rewrites the priority it has.
  const [promoted] = await Promise.allSettled([job.promote(), job.changePriority({ priority, lifo: true })]);
  if (promoted.status === 'fulfilled') return 'promoted';
  const state = await job.getState();
  return state === 'unknown' || state === 'completed' || state === 'failed' ? 'gone' : 'not-delayed';
}
