// The stable `--json` shapes (schema 1). Fields are only ever added, never renamed or removed.
import type { NameDetail, NameSummary } from '@lockstep/core';

/** `lockstep ls --json`. */
export interface LsJson {
  readonly schema: 1;
  readonly prefix: string;
  readonly names: readonly NameSummary[];
}

/** A holder in {@link InspectJson}. */
export interface HolderJson {
  readonly fence: number;
  readonly weight: number;
  /** Epoch ms, Redis server clock. */
  readonly grantedAt: number;
  readonly expiresAt: number;
  readonly expiresInMs: number;
}

/** A waiter in {@link InspectJson}. */
export interface WaiterJson {
  readonly priority: number;
  /** The priority's class name, when reported (`stats: true`); else null. */
  readonly priorityName: string | null;
  readonly weight: number;
  /** Epoch ms when queued; null for locks (not recorded). */
  readonly since: number | null;
  readonly ageMs: number | null;
  readonly aliveUntil: number;
}

/** `lockstep inspect <name> --json`. */
export interface InspectJson {
  readonly schema: 1;
  readonly prefix: string;
  readonly kind: 'lock' | 'semaphore';
  readonly name: string;
  readonly limit: number | null;
  readonly used: number;
  /** Redis server clock at the snapshot, epoch ms. */
  readonly now: number;
  readonly holders: readonly HolderJson[];
  /** Queued waiters, including dead ones not purged yet. */
  readonly waiting: number;
  /** Live waiters in service order. */
  readonly waiters: readonly WaiterJson[];
}

/** `lockstep release <name> --force --json`. */
export interface ReleaseJson {
  readonly schema: 1;
  readonly prefix: string;
  readonly kind: 'lock' | 'semaphore';
  readonly name: string;
  readonly fence: number | null;
  /** Holders removed. */
  readonly released: number;
}

/** The `inspect` JSON of a snapshot. */
export function inspectJson(prefix: string, d: NameDetail): InspectJson {
  return {
    schema: 1,
    prefix,
    kind: d.kind,
    name: d.name,
    limit: d.limit,
    used: d.used,
    now: d.now,
    holders: d.holderList.map((h) => ({ ...h, expiresInMs: Math.max(0, h.expiresAt - d.now) })),
    waiting: d.waiters,
    waiters: d.waiterList.map((w) => ({ ...w, ageMs: w.since === null ? null : Math.max(0, d.now - w.since) })),
  };
}
