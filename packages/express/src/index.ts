// Public API of @lockstep/express.
export { concurrencyLimit } from './concurrency-limit.js';
export {
  type ConcurrencyLimitOptions,
  DEFAULT_CONCURRENCY_LIMIT_OPTIONS,
  type PerRequest,
} from './options.js';
export { MAX_RETRY_AFTER_SECONDS } from './responses.js';
export type {
  ConcurrencyLimitMiddleware,
  NextFunction,
  RejectionInfo,
  RejectionReason,
  RequestLease,
  RequestPermit,
} from './types.js';
