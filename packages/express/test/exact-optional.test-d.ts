// Type-level checks, compiled with `exactOptionalPropertyTypes: true` (test/tsconfig.exact-optional.json,
// run by `pnpm typecheck`), as `tsc --init` sets it: every optional option takes `T | undefined`.
import type { Lockstep } from '@lockstep/core';
import type { Request, Response } from 'express';
import { type ConcurrencyLimitOptions, concurrencyLimit } from '../src/index.js';

/** A config value that may be absent. */
declare function maybe<T>(value: T): T | undefined;
declare const lockstep: Lockstep;

const options: ConcurrencyLimitOptions<Request, Response> = {
  lockstep,
  name: 'exports',
  limit: 2,
  weight: maybe(1),
  priority: maybe((req: Request) => (req.headers['x-plan'] === 'pro' ? 'critical' : 'bulk')),
  priorities: maybe(['critical', 'bulk']),
  waitMs: maybe(1_000),
  maxWaiters: maybe(100),
  ttlMs: maybe(10_000),
  statusCode: maybe(429),
  standardHeaders: maybe(true),
  skip: maybe((req: Request) => req.method === 'GET'),
  handler: maybe((_req: Request, res: Response) => res.status(503).end()),
  onError: maybe((error: Error) => console.error(error)),
  passOnStoreError: maybe(false),
};
concurrencyLimit(options);
concurrencyLimit({ lockstep, name: 'x', limit: 1, waitMs: maybe(0), ttlMs: maybe(1_000) });

// @ts-expect-error `waitMs` is a number, undefined or absent
concurrencyLimit({ lockstep, name: 'x', limit: 1, waitMs: maybe('1') });
