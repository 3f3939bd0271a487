// Wakes a parked job by id: BullMQ's own promote (delayed -> wait), through the running job's queue.
import { InvalidArgumentError } from '@lockstep/core';
import { Job } from 'bullmq';
import type { GateJob, GateQueue } from './options.js';

/**
 * The queue to act on `from`'s queue by id: the `queue` option, checked to be `from`'s queue, else
 * the running job's own handle. BullMQ keeps that in a protected field (the one the public
 * `Job.fromId(queue, id)` takes); the `queue` option avoids relying on it.
 *
 * @throws {@link InvalidArgumentError} when the `queue` option is another queue than the job's
 */
export function queueOf(from: GateJob, given: GateQueue | undefined): GateQueue {
  if (given !== undefined) {
    if (given.qualifiedName !== from.queueQualifiedName) {
      throw new InvalidArgumentError(
        `Expected \`queue\` to be the queue of the gated jobs (${from.queueQualifiedName}), got ${given.qualifiedName}`,
      );
    }
    return given;
  }
  const own = (from as unknown as { queue?: GateQueue }).queue;
  if (typeof own?.toKey !== 'function') {
    throw new InvalidArgumentError(
      'This job carries no BullMQ queue handle (a sandboxed or hand-made job?); pass the `queue` option',
    );
  }
  return own;
}

/** What happened to a promotion. */
export type PromoteOutcome = 'promoted' | 'not-delayed' | 'gone';

/**
 * Promotes job `id` of `queue` so it runs as soon as a worker is free, and moves it to the
 * front of the jobs waiting with its BullMQ `priority` (`changePriority` with `lifo`): a permit is
 * held back for it, so it must not queue behind a backlog. A job that is not delayed any more (its
 * fallback delay ran out, or it is already running) is left alone; one that no longer exists (or
 * has finished) is reported `gone`.
 */
export async function promoteJob(queue: GateQueue, id: string, priority: number): Promise<PromoteOutcome> {
  // BullMQ's public constructor: a Job for `id` without reading it first.
  const job = new Job(queue, '', undefined, {}, id);
  // Sent together on one connection, so they run in this order. If the job was no longer delayed,
  // changePriority moves it to the front if it is waiting, or only rewrites the priority it has.
  const [promoted] = await Promise.allSettled([job.promote(), job.changePriority({ priority, lifo: true })]);
  if (promoted.status === 'fulfilled') return 'promoted';
  const state = await job.getState();
  return state === 'unknown' || state === 'completed' || state === 'failed' ? 'gone' : 'not-delayed';
}
