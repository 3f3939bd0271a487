// What a Lock delegates to: the single-Redis/Cluster engine or the quorum engine.

import type { AdoptOptions } from '../adopt/adopt-lease.js';
import type { Lease } from '../lease/lease.js';
import type { AcquireRequest } from '../waiting/contender.js';

/** A snapshot of one lock, as `lock.inspect()` returns it. Tokens are never exposed. */
export interface LockState {
  /** True if someone holds the lock now. */
  readonly held: boolean;
  /** The holder's fence, when held (and known: quorum locks have none). */
  readonly fence: number | undefined;
  /** Milliseconds until the holder's lease expires unless extended (0 when free). */
  readonly expiresInMs: number;
  /** How many waiters are queued (live or not yet purged). */
  readonly waiting: number;
  /** Heartbeat deadline (epoch ms, server clock) of each live queued waiter, in queue order. */
  readonly waiters: readonly { readonly aliveUntil: number }[];
}

/** One lock name in one mode. */
export interface LockEngine {
  acquire(request: AcquireRequest): Promise<Lease | null>;
  inspect(): Promise<LockState>;
  /** Adopts an exported lease after checking with Redis that its token still holds. */
  adopt(handle: unknown, options?: AdoptOptions): Promise<Lease>;
}
