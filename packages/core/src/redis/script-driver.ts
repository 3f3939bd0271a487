// The LeaseDriver of the single-Redis/Cluster engines: extend and release are one script each.
// A base class, so every lock or semaphore object shares the methods instead of owning closures.

import type { ExtendOutcome, LeaseDriver } from '../lease/lease-driver.js';
import type { AcquireRuntime } from '../waiting/contender.js';
import { bounded } from './request.js';
import { STATUS } from './scripts.js';

/** Bounds each extend and release script in time and maps its reply. */
export abstract class ScriptLeaseDriver implements LeaseDriver {
  /**
   * @param name - the lock or semaphore name (for messages)
   * @param runtime - the owning Lockstep's services
   */
  constructor(
    readonly name: string,
    readonly runtime: AcquireRuntime,
  ) {}

  /** Runs the extend script; it answers STATUS.extended when the lease was extended. */
  protected abstract extendScript(id: string, token: string, ttlMs: number): Promise<unknown>;

  /** Gives up a grant or queue place of `id` (a release status: STATUS.released, dequeued or nothing). */
  abstract giveUp(id: string, token: string): Promise<number>;

  drift(ttlMs: number): number {
    return this.runtime.drift(ttlMs);
  }

  onError(error: unknown): void {
    this.runtime.onError(error);
  }

  async extend(id: string, token: string, ttlMs: number): Promise<ExtendOutcome> {
    const reply = await bounded(
      this.extendScript(id, token, ttlMs),
      `extending "${this.name}"`,
      Math.min(this.runtime.requestTimeoutMs, ttlMs),
    );
    return reply === STATUS.extended ? 'extended' : 'not-held';
  }

  async release(id: string, token: string): Promise<boolean> {
    return (
      (await bounded(this.giveUp(id, token), `releasing "${this.name}"`, this.runtime.requestTimeoutMs)) ===
      STATUS.released
    );
  }
}
