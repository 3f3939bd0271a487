// The LeaseDriver of the single-Redis/Cluster engines: extend and release are one script each.
// A base class, so every lock or semaphore object shares the methods instead of owning closures.

import type { ExtendOutcome, LeaseDriver } from '../lease/lease-driver.js';
import type { AcquireRuntime } from '../waiting/contender.js';
import { bounded } from './request.js';
import { STATUS } from './scripts.js';

// At most this many fast grants are remembered per engine (a lease lost without a release stays
// in the map); past it the map starts over and those leases use the full release: still correct.
const MAX_FAST_GRANTS = 10_000;

/** Bounds each extend and release script in time and maps its reply. */
export abstract class ScriptLeaseDriver implements LeaseDriver {
  // Ids granted by the fast acquire script, with their fence (decimal digits, as the script sent
  // it): their release tries the fast release script first. Other leases (pushed grants, grants
  // with waiters around) go straight to the full one, so a contended hand-off never pays a second
  // round trip.
  readonly #fastGrants = new Map<string, string>();

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

  /**
   * Runs the fast release script for a fast grant with this `fence`: STATUS.released or nothing,
   * or STATUS.contended (nothing done).
   */
  protected abstract fastReleaseScript(id: string, token: string, fence: string): Promise<unknown>;

  /** Notes that the fast acquire script granted `id` with `fence` (its decimal digits). */
  protected noteFastGrant(id: string, fence: string): void {
    if (this.#fastGrants.size >= MAX_FAST_GRANTS) this.#fastGrants.clear();
    this.#fastGrants.set(id, fence);
  }

  // The fast release for a fast grant while nobody waits; else (or then) the full one.
  async #release(id: string, token: string): Promise<number> {
    const fence = this.#fastGrants.get(id);
    if (fence !== undefined) {
      this.#fastGrants.delete(id);
      const reply = Number(await this.fastReleaseScript(id, token, fence));
      if (reply !== STATUS.contended) return reply;
    }
    return this.giveUp(id, token);
  }

  drift(ttlMs: number): number {
    return this.runtime.drift(ttlMs);
  }

  onError(error: unknown): void {
    this.runtime.onError(error);
  }

  async extend(id: string, token: string, ttlMs: number): Promise<ExtendOutcome> {
    try {
      const reply = await bounded(
        this.extendScript(id, token, ttlMs),
        `extending "${this.name}"`,
        Math.min(this.runtime.requestTimeoutMs, ttlMs),
      );
      return reply === STATUS.extended ? 'extended' : 'not-held';
    } catch (error) {
      throw this.runtime.explain(error);
    }
  }

  async release(id: string, token: string): Promise<boolean> {
    try {
      return (
        (await bounded(this.#release(id, token), `releasing "${this.name}"`, this.runtime.requestTimeoutMs)) ===
        STATUS.released
      );
    } catch (error) {
      throw this.runtime.explain(error);
    }
  }
}
