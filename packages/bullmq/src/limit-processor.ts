// limitProcessor: wraps a BullMQ processor so each key runs at most `limit` jobs across all workers.
import { describeValue, InvalidArgumentError } from '@lockstep/core';
import { JobGate } from './job-gate.js';
import type { GateJob, JobGateOptions } from './options.js';

/** A processor that also receives the combined signal (BullMQ's cancellation or a lost permit). */
export type LimitedProcessor<J extends GateJob, R> = (
  job: J,
  token: string | undefined,
  signal: AbortSignal,
) => Promise<R>;

/** The BullMQ processor {@link limitProcessor} returns, with the {@link JobGate} behind it. */
export interface GatedProcessor<J extends GateJob, R> {
  (job: J, token?: string, signal?: AbortSignal): Promise<R>;
  /** The gate: `setLimit(job, key, n)` and `close()`. */
  readonly gate: JobGate<J>;
}

/** A file path or URL is BullMQ's sandboxed processor, which the gate cannot wrap: say so. */
function checkProcessor(processor: unknown): void {
  if (typeof processor === 'function') return;
  if (typeof processor === 'string' || processor instanceof URL) {
    throw new InvalidArgumentError(
      `Expected \`processor\` to be a function, got the file ${describeValue(String(processor))}: sandboxed ` +
        'processors are not supported (the gate needs the Job object in the worker process). Import the ' +
        'function and pass it to limitProcessor in the process that creates the Worker',
    );
  }
  throw new InvalidArgumentError(`Expected \`processor\` to be a function, got ${describeValue(processor)}`);
}

/**
 * Wraps a BullMQ processor so that at most `limit` jobs of each key run at once, across every
 * worker and process. A job whose key is full is parked (moved to delayed with its token, BullMQ's
 * `DelayedError` idiom: no attempt used, no failure) so the worker's slots go to other keys; a freed
 * permit wakes the best parked job of its key at once. Idea from BullMQ Pro's groups; built on
 * `@lockstep/core` semaphores.
 *
 * @param processor - your processor; its `signal` aborts when BullMQ cancels the job or the key's
 *   permit is lost
 * @param options - `lockstep`, `key`, `limit`, `priority`, `priorities`, … (see {@link JobGateOptions})
 * @returns a processor for `new Worker(name, processor, options)`
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a bad or unknown option, or a
 *   `processor` that is not a function (a file path or URL: sandboxed processors are not supported)
 * @example
 * ```ts
 * const processor = limitProcessor(async (job, token, signal) => runExport(job.data, signal), {
 *   lockstep,
 *   key: (job) => `exports:${job.data.tenantId}`,
 *   limit: (key) => (key.endsWith(':acme') ? 5 : 2),
 * });
 * new Worker('exports', processor, { connection, concurrency: 20 });
 * ```
 */
export function limitProcessor<J extends GateJob, R>(
  processor: LimitedProcessor<J, R>,
  options: JobGateOptions<J>,
): GatedProcessor<J, R> {
  checkProcessor(processor);
  const gate = new JobGate<J>(options);
  // Three declared parameters: BullMQ passes a signal only to processors whose length is >= 3.
  const gated = (job: J, token?: string, signal?: AbortSignal): Promise<R> =>
    gate.run(job, token, signal, (combined) => processor(job, token, combined));
  return Object.assign(gated, { gate });
}
