// Type-level checks, compiled with `exactOptionalPropertyTypes: true` (test/tsconfig.exact-optional.json,
// run by `pnpm typecheck`), as `tsc --init` sets it: every optional option takes `T | undefined`.
import type { Redis } from 'ioredis';
import {
  Limited,
  type LimitedOptions,
  Locked,
  type LockedOptions,
  type LockstepHttpOptions,
  LockstepModule,
  type LockstepModuleOptions,
  LockstepTestingModule,
} from '../src/index.js';

/** A config value that may be absent. */
declare function maybe<T>(value: T): T | undefined;
declare const redis: Redis;

const http: LockstepHttpOptions = {
  lockedStatus: maybe(409),
  limitedStatus: maybe(429),
  outageStatus: maybe(503),
  retryAfterSeconds: maybe(1),
  retryAfterJitterSeconds: maybe(0),
};
const moduleOptions: LockstepModuleOptions = {
  redis,
  prefix: maybe('billing'),
  requestTimeoutMs: maybe(1_000),
  driftFactor: maybe(0.01),
  onError: maybe(() => undefined),
  quorum: maybe({ nodeTimeoutMs: maybe(50) }),
  stats: maybe(true),
  http: maybe(http),
  shutdownTimeoutMs: maybe(5_000),
};
LockstepModule.forRoot(moduleOptions);
LockstepModule.forRoot({ redis: 'redis://localhost', prefix: maybe('billing'), isGlobal: maybe(false) });
LockstepModule.forRootAsync({ useFactory: () => moduleOptions, isGlobal: maybe(true) });
LockstepTestingModule.forRoot({ http: maybe(http), onError: maybe(() => undefined) });

const locked: LockedOptions = {
  ttlMs: maybe(10_000),
  waitMs: maybe(1_000),
  autoExtend: maybe(true),
  onBusy: maybe('wait'),
  maxWaiters: maybe(10),
  minHoldMs: maybe(0),
};
const limited: LimitedOptions<[tenantId: string]> = {
  limit: 2,
  priority: maybe((tenantId: string) => (tenantId === 'acme' ? 'critical' : 'bulk')),
  priorities: maybe(['critical', 'bulk']),
  defaultPriority: maybe('bulk'),
  weight: maybe(1),
  agingMs: maybe(0),
  waitMs: maybe(1_000),
};

export class Jobs {
  @Locked('reports:rollup', locked)
  async rollup(): Promise<void> {}

  @Locked('reports:daily', { onBusy: maybe('skip'), minHoldMs: maybe(8_000) })
  async daily(): Promise<void> {}

  @Limited((tenantId: string) => `exports:${tenantId}`, limited)
  async exportFor(_tenantId: string): Promise<void> {}

  @Limited('imports', { limit: 1, weight: maybe(1), priority: maybe(2) })
  async importAll(): Promise<void> {}
}

// @ts-expect-error `lockedStatus` is a number, undefined or absent
LockstepTestingModule.forRoot({ http: { lockedStatus: maybe('409') } });
