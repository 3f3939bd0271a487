// The permits a gate holds in this process, per key: counted, so a job of a key whose permits are
// all held here parks without asking Redis, and handed from a finishing job to the parked job it
// woke when that job starts in this process (no release, no new acquire, no free-permit window).
import type { Lease } from '@lockstep/core';
import { jobSlot } from './keys.js';

/** A permit, and when it came from the semaphore (`performance.now()`). */
export interface Kept {
  readonly lease: Lease;
  readonly since: number;
}

/** A permit kept for a woken job, until it starts here or the hand-off window ends. */
interface Handed {
  readonly name: string;
  readonly kept: Kept;
  readonly timer: NodeJS.Timeout;
}

/** Most limits set with `setLimit` remembered (a forgotten one only makes `full` say false more). */
const MAX_LIMITS = 10_000;

/** Per-process permit book of one gate; keys are semaphore names. */
export class LocalPermits {
  readonly #held = new Map<string, number>();
  readonly #limits = new Map<string, number>();
  readonly #handed = new Map<string, Handed>();

  /** Permits of `name` held in this process (running jobs and permits kept for woken jobs). */
  held(name: string): number {
    return this.#held.get(name) ?? 0;
  }

  /**
   * True when this process holds every permit of `name` (`limit`, or a higher limit set here with
   * `setLimit`): then no permit is free and asking Redis would only say so.
   */
  full(name: string, limit: number): boolean {
    return this.held(name) >= Math.max(limit, this.#limits.get(name) ?? 0);
  }

  /** The limit of `name`: one set here with `setLimit`, else `limit`. */
  limitOf(name: string, limit: number): number {
    return this.#limits.get(name) ?? limit;
  }

  /** Remembers a limit set with `setLimit` in this process. */
  setLimit(name: string, limit: number): void {
    if (this.#limits.size >= MAX_LIMITS) this.#limits.clear();
    this.#limits.set(name, limit);
  }

  /** Counts a permit taken. */
  take(name: string): void {
    this.#held.set(name, this.held(name) + 1);
  }

  /** Uncounts a permit about to be released. */
  drop(name: string): void {
    const left = this.held(name) - 1;
    if (left > 0) this.#held.set(name, left);
    else this.#held.delete(name);
  }

  /**
   * Keeps `lease` (still counted) for job `id` of `name` for `ms`; then `expire(lease)` is called
   * with the permit uncounted, to free it.
   */
  hand(name: string, id: string, kept: Kept, ms: number, expire: (lease: Lease) => void): void {
    const slot = jobSlot(name, id);
    const old = this.#handed.get(slot);
    if (old) {
      // Woken again while a permit still waited for it: free the older one.
      clearTimeout(old.timer);
      this.drop(name);
      expire(old.kept.lease);
    }
    const timer = setTimeout(() => {
      if (this.#handed.get(slot)?.kept !== kept) return;
      this.#handed.delete(slot);
      this.drop(name);
      expire(kept.lease);
    }, ms);
    timer.unref();
    this.#handed.set(slot, { name, kept, timer });
  }

  /** The permit kept for job `id` of `name`, if any (it stays counted: the job now holds it). */
  claim(name: string, id: string): Kept | undefined {
    const slot = jobSlot(name, id);
    const handed = this.#handed.get(slot);
    if (!handed) return undefined;
    clearTimeout(handed.timer);
    this.#handed.delete(slot);
    return handed.kept;
  }

  /** Takes back every kept permit, uncounted, for the caller to free. */
  drain(): Lease[] {
    const leases: Lease[] = [];
    for (const [slot, handed] of this.#handed) {
      clearTimeout(handed.timer);
      this.#handed.delete(slot);
      this.drop(handed.name);
      leases.push(handed.kept.lease);
    }
    return leases;
  }
}
