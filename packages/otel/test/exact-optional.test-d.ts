// Type-level checks, compiled with `exactOptionalPropertyTypes: true` (test/tsconfig.exact-optional.json,
// run by `pnpm typecheck`), as `tsc --init` sets it: every optional option takes `T | undefined`.
import { type MeterProvider, metrics } from '@opentelemetry/api';
import { instrumentLockstep, LockstepMetrics, type LockstepMetricsOptions } from '../src/index.js';

/** A config value that may be absent. */
declare function maybe<T>(value: T): T | undefined;

const options: LockstepMetricsOptions = {
  meterProvider: maybe<MeterProvider>(metrics.getMeterProvider()),
  nameAttribute: maybe(true),
};
instrumentLockstep(options);
new LockstepMetrics({ nameAttribute: maybe(false) });

// @ts-expect-error `nameAttribute` is a boolean, undefined or absent
instrumentLockstep({ nameAttribute: maybe('yes') });
