// What the acquisition loop works with: the contender (a lock or semaphore name), its replies,
// the owning Lockstep's services, and the options of one acquisition.
import type { Lease, LostCallback } from '../lease/lease.js';
import type { LeaseDriver } from '../lease/lease-driver.js';
import type { HeartbeatBatcher } from './heartbeats.js';
import type { WaitHub } from './wait-hub.js';

/** What one attempt (the acquire script) answered. */
export type AttemptReply =
  | { readonly kind: 'granted'; readonly fence: number; readonly remainingMs: number }
  | { readonly kind: 'queued'; readonly recheckInMs: number; readonly serverNow: number }
  | { readonly kind: 'busy'; readonly recheckInMs: number }
  | { readonly kind: 'full' }
  | { readonly kind: 'too-heavy'; readonly limit: number }
  /** The fast first attempt changed nothing: the full attempt follows at once. */
  | { readonly kind: 'contended' };

/** A grant (or rejection) pushed to a waiter by another process's release. */
export type PushedReply =
  | {
      readonly kind: 'granted';
      readonly fence: number;
      /** End of the grant on the server's clock: of the claim when `claimMs` is below the TTL. */
      readonly deadline: number;
      /** Length of the claim, ms (the TTL or more: a plain grant). */
      readonly claimMs: number;
    }
  | { readonly kind: 'rejected'; readonly limit: number };

/** A lock or semaphore, as the acquisition loop sees it. */
export interface Contender {
  readonly name: string;
  readonly channel: string;
  readonly ttlMs: number;
  readonly weight: number;
  readonly maxWaiters: number;
  readonly waiterTtlMs: number;
  /**
   * Runs the acquire script once. With `first`, it may run a cheaper script made for the
   * uncontended case instead, which answers `contended` (having changed nothing) when it cannot
   * decide; the loop then runs the full attempt, one script per attempt, so a cleanup after an
   * abort is always sent after every script of the acquisition.
   */
  attempt(id: string, token: string, wait: boolean, first?: boolean): Promise<AttemptReply>;
  /** Gives up whatever `id` has: a grant (passed on) or a queue place. */
  giveUp(id: string, token: string): Promise<number>;
  /** Parses a grant message addressed to a waiter. */
  parse(message: string): PushedReply;
  /** Extends and releases the leases it grants. */
  readonly driver: LeaseDriver;
  /** Refreshes many queued waiters of this name at once; resolves with those no longer queued. */
  heartbeat(ids: readonly string[]): Promise<string[]>;
  /** A semaphore's limit, for grant statistics (undefined for locks). */
  readonly limit?: number;
  /** A semaphore's named priority classes, for grant statistics. */
  readonly classes?: ReadonlyMap<string, number>;
}

/** Shared services of the owning Lockstep. */
export interface AcquireRuntime {
  readonly requestTimeoutMs: number;
  drift(ttlMs: number): number;
  /** A new request id of this Lockstep instance (its prefix names the instance's grant channels). */
  newId(): string;
  hub(): WaitHub;
  /**
   * Local hand-off: passes the grant messages a script of this process announced (a release that
   * served waiters) straight to the waiters they name, if they wait in this process, so they start
   * without waiting for the pushed copy (which is then ignored). Never throws; never subscribes.
   */
  handOff(messages: readonly string[]): void;
  /** Batches the heartbeats of this process's queued waiters. */
  heartbeats(): HeartbeatBatcher;
  assertOpen(): void;
  onError(error: unknown): void;
  /** Adds the client's connection state to an `ERR_REDIS` about to reach the caller (see connection-state.ts). */
  explain(error: unknown): unknown;
  /** Remembers a live lease (so `close()` can stop its timers). */
  track(lease: Lease): void;
  /** Forgets a lease that was released or lost. */
  untrack(lease: Lease): void;
  /** Told of every grant (for grant statistics); `waitedMs` from the acquisition's start. */
  granted(c: Contender, waitedMs: number): void;
}

/** Options of one acquisition, already validated. */
export interface AcquireRequest {
  readonly waitMs: number;
  readonly signal: AbortSignal | undefined;
  readonly autoExtend: boolean;
  readonly onLost: LostCallback | undefined;
  /** When true, a busy result resolves `null` instead of throwing (tryAcquire). */
  readonly orNull: boolean;
  /** Told once when the acquisition is first queued behind others (diagnostics). */
  readonly onQueued?: () => void;
}
