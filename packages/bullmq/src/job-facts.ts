// Small facts about a job and its parking: its id, BullMQ priority, fallback delay, combined signal.
import { InvalidArgumentError } from '@lockstep/core';
import type { GateJob } from './options.js';

/** The job's id; a job a worker is processing always has one. */
export function jobId(job: GateJob): string {
  if (typeof job.id !== 'string' || job.id.length === 0) {
    throw new InvalidArgumentError('Expected a job with an id: JobGate runs jobs a BullMQ worker is processing');
  }
  return job.id;
}

/** `AbortSignal.any` (Node 20.3+), which the @types/node version we build against lacks. */
export function anySignal(signals: AbortSignal[]): AbortSignal {
  return (AbortSignal as unknown as { any(list: AbortSignal[]): AbortSignal }).any(signals);
}

/** The job's BullMQ priority, 0 when it has none. */
export function bullPriority(job: GateJob): number {
  return typeof job.priority === 'number' && job.priority > 0 ? job.priority : 0;
}

/** Longest stretch of the fallback delay, for jobs far back in a key's line. */
const MAX_STRETCH = 12;

/**
 * The fallback delay of a job parked at `rank`: the jobs next in line (rank < limit) retry after
 * `fallbackDelayMs`; those further back, who will be woken by the chain of releases in front of
 * them, after up to 12 times that. Without the stretch, a deep line of parked jobs would return on
 * their timers all at once only to park again. A lost wake-up costs at most `fallbackDelayMs`: the
 * head of the line retries by then, and its release wakes the next.
 */
export function fallbackFor(fallbackDelayMs: number, rank: number, limit: number): number {
  return fallbackDelayMs * Math.min(1 + Math.floor(Math.max(0, rank) / limit), MAX_STRETCH);
}
