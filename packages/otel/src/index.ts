// Public API of @lockstep/otel.
export {
  type InspectableLimiter,
  instrumentLockstep,
  LockstepMetrics,
  type LockstepMetricsOptions,
  METRIC_NAMES,
} from './lockstep-metrics.js';
