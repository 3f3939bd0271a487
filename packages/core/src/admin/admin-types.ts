// What the admin tools answer: plain JSON-safe objects, never tokens or request ids.
import type { NameKind } from './key-layout.js';

/** One live lock or semaphore, as `LockstepAdmin.list()` returns it. */
export interface NameSummary {
  readonly kind: NameKind;
  readonly name: string;
  /** Permits available at once: 1 for a lock; a semaphore's limit, or null when no process reported it. */
  readonly limit: number | null;
  /** Permits in use (weighted). */
  readonly used: number;
  /** Live holders. */
  readonly holders: number;
  /** Queued waiters (live or not purged yet). */
  readonly waiters: number;
}

/** A holder in {@link NameDetail}. */
export interface HolderInfo {
  /** Its fencing token; also what `forceRelease({ fence })` takes. */
  readonly fence: number;
  readonly weight: number;
  /**
   * When it was granted, epoch ms (Redis server clock). For locks it is read from the fence, which
   * is the server clock in microseconds at the grant (or one above the previous fence).
   */
  readonly grantedAt: number;
  /** Lease deadline, epoch ms (Redis server clock), unless extended. */
  readonly expiresAt: number;
}

/** A queued waiter in {@link NameDetail}. */
export interface WaiterInfo {
  /** Its priority; higher is served first (always 0 for locks). */
  readonly priority: number;
  /** The class name of `priority`, when a process with `stats: true` reported the classes; else null. */
  readonly priorityName: string | null;
  readonly weight: number;
  /** When it was queued, epoch ms (server clock); null for locks, whose queue does not record it. */
  readonly since: number | null;
  /** Heartbeat deadline: purged after this unless it refreshes. */
  readonly aliveUntil: number;
}

/** One lock or semaphore in detail: a consistent snapshot taken by one Lua script. */
export interface NameDetail extends NameSummary {
  /** The Redis server clock when the snapshot was taken, epoch ms. */
  readonly now: number;
  /** Live holders, earliest expiry first. */
  readonly holderList: readonly HolderInfo[];
  /** Live waiters in service order (at most 1,000). */
  readonly waiterList: readonly WaiterInfo[];
}

/** One second of grant statistics. */
export interface RatePoint {
  /** Start of the second, epoch ms (clocks of the recording processes). */
  readonly t: number;
  /** Grants in that second, summed over every recording process. */
  readonly grants: number;
  /** Wait percentiles of those grants, ms: the upper bound of the histogram bucket; null without grants. */
  readonly waitP50Ms: number | null;
  readonly waitP90Ms: number | null;
  readonly waitP99Ms: number | null;
}

/** Grant statistics of one name, oldest second first. */
export interface RateSeries {
  /** False when no process with `stats: true` recorded anything in the window. */
  readonly recorded: boolean;
  readonly points: readonly RatePoint[];
}
