// Type-level checks, compiled with `exactOptionalPropertyTypes: true` (test/tsconfig.exact-optional.json,
// run by `pnpm typecheck`), as `tsc --init` sets it: every optional option takes `T | undefined`.
import type { Lockstep } from '@lockstep/core';
import type { Job, Queue } from 'bullmq';
import { JobGate, type JobGateOptions, limitProcessor } from '../src/index.js';

/** A config value that may be absent. */
declare function maybe<T>(value: T): T | undefined;
declare const lockstep: Lockstep;
declare const queue: Queue;
type ExportJob = Job<{ tenantId: string; plan: 'pro' | 'free' }>;

const options: JobGateOptions<ExportJob> = {
  lockstep,
  key: (job) => `exports:${job.data.tenantId}`,
  limit: 2,
  priority: maybe((job: ExportJob) => (job.data.plan === 'pro' ? 'critical' : 'bulk')),
  priorities: maybe(['critical', 'bulk']),
  ttlMs: maybe(30_000),
  fallbackDelayMs: maybe(5_000),
  reserveMs: maybe(5_000),
  handoffMs: maybe(50),
  prefix: maybe('billing'),
  onError: maybe((error: unknown) => console.error(error)),
  queue: maybe(queue),
  maxStartedAttempts: maybe(50),
};
limitProcessor(async (job: ExportJob) => job.data.tenantId, options);
limitProcessor(async (job: ExportJob) => job.id, { lockstep, key: () => 'k', limit: 1, ttlMs: maybe(1_000) });
new JobGate<ExportJob>({ lockstep, key: () => 'k', limit: 1, prefix: maybe('billing') });

// @ts-expect-error `ttlMs` is a number, undefined or absent
new JobGate({ lockstep, key: () => 'k', limit: 1, ttlMs: maybe('1') });
