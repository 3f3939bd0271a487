// What a lease needs from the mode that granted it (single Redis, Cluster, quorum or memory).
import type { LimiterKind } from '../diagnostics/channels.js';

/** What a backend answers to an extension. */
export type ExtendOutcome = 'extended' | 'not-held' | 'no-quorum';

/**
 * The operations a lease needs from the mode that granted it (single, Cluster or quorum). One
 * object serves every lease of an engine; `id` and `token` say which lease.
 */
export interface LeaseDriver {
  /** What the leases are of, for diagnostics. @defaultValue 'lock' */
  readonly kind?: LimiterKind;
  /**
   * Extends to `ttlMs` from now; rejects on infrastructure failure. `validUntil` is the end of the
   * current window (monotonic): answers after it must not count.
   */
  extend(id: string, token: string, ttlMs: number, validUntil: number): Promise<ExtendOutcome>;
  /** Releases; resolves true if this call released a live lease. */
  release(id: string, token: string): Promise<boolean>;
  /** Drift to subtract from a window of `ttlMs`. */
  drift(ttlMs: number): number;
  /** Receives errors from user callbacks and background work. */
  onError(error: unknown): void;
}
