// Type-level checks, compiled with `exactOptionalPropertyTypes: true` (test/tsconfig.exact-optional.json,
// run by `pnpm typecheck`), as `tsc --init` sets it: every optional option takes `T | undefined`.
import type { Lockstep, LockstepAdmin } from '@lockstep/core';
import { type DashboardOptions, lockstepDashboard } from '../src/index.js';

/** A config value that may be absent. */
declare function maybe<T>(value: T): T | undefined;
declare const lockstep: Lockstep;
declare const admin: LockstepAdmin;

const options: DashboardOptions = {
  lockstep: maybe(lockstep),
  admin: maybe(admin),
  allowActions: maybe(true),
  onAction: maybe((action: { name: string }) => console.log(action.name)),
  intervalMs: maybe(1_000),
};
lockstepDashboard(options);
lockstepDashboard({ lockstep, intervalMs: maybe(500), allowActions: maybe(false) });

// @ts-expect-error `intervalMs` is a number, undefined or absent
lockstepDashboard({ lockstep, intervalMs: maybe('1s') });

// An audit hook is awaited whatever it returns: an arrow that returns a push's count, or a logger.
const audit: string[] = [];
lockstepDashboard({ lockstep, allowActions: true, onAction: (action) => audit.push(action.name) });
