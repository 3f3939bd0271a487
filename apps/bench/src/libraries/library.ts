// What every library adapter offers the workloads, so each workload runs the same code for all.
import type { Redis } from 'ioredis';

/** Thrown by an adapter when its library gave up waiting (its own timeout or retry budget). */
export class AcquireTimeout extends Error {
  override readonly name = 'AcquireTimeout';
}

/** A held lock or permit. */
export interface Held {
  release(): Promise<void>;
}

/** Acquires one lock or semaphore name, again and again. */
export interface Acquirer {
  /** Waits (by the library's own means) and resolves when held; rejects with AcquireTimeout when it gave up. */
  acquire(): Promise<Held>;
}

/** One library, set up on the clients of one process. */
export interface LibraryInstance {
  mutex(key: string): Acquirer;
  /** Undefined for libraries without a counting semaphore. */
  readonly semaphore: ((key: string, limit: number) => Acquirer) | undefined;
  /** Releases the library's own resources (never quits the clients). */
  close(): Promise<void>;
}

/** Which library, with which settings: one row of the report. */
export interface LibraryRow {
  /** Stable id, also used to rebuild the row in a worker process. */
  readonly id: string;
  readonly library: string;
  /** Default settings, or the retry interval tuned down. */
  readonly variant: 'default' | 'tuned' | 'stats';
  /** The settings, in words, as the report prints them. */
  readonly setting: string;
  readonly kind: 'lockstep' | 'baseline' | 'raw' | 'peer';
  readonly hasSemaphore: boolean;
  readonly hasQuorum: boolean;
  /** Single-server mode: one client. Quorum mode: the clients of the independent servers. */
  create(clients: readonly Redis[]): LibraryInstance;
}

/** Retries that cover `waitMs` at `delayMs` per retry (each retry also costs a round trip, so this is generous). */
export function retriesFor(waitMs: number, delayMs: number): number {
  return Math.ceil(waitMs / Math.max(1, delayMs)) + 1;
}

/** Rejects with AcquireTimeout when `isTimeout(error)`, otherwise passes the error on. */
export function mapTimeout(error: unknown, isTimeout: (error: unknown) => boolean): never {
  if (isTimeout(error)) throw new AcquireTimeout(error instanceof Error ? error.message : String(error));
  throw error;
}
