// Keeps the queue places of this process's waiters alive with one call per name and heartbeat
// period, instead of one call per waiter: 10,000 parked waiters cost a few calls per period.
import { randomInt } from 'node:crypto';
import { isRedisRefusal } from '../errors.js';
import { bounded } from '../redis/request.js';

/** What the batcher needs to refresh the waiters of one name. */
export interface HeartbeatTarget {
  /** Groups waiters: one batch per key (the name's channel). */
  readonly channel: string;
  readonly name: string;
  readonly waiterTtlMs: number;
  /** Refreshes the given waiters; resolves with those no longer queued. */
  heartbeat(ids: readonly string[]): Promise<string[]>;
}

interface Group {
  readonly target: HeartbeatTarget;
  readonly waiters: Map<string, () => void>;
  timer: NodeJS.Timeout | undefined;
}

/** Ids per call: Lua's unpack() has a stack limit, and a huge call would stall Redis. */
const BATCH = 500;

/** One per Lockstep instance. */
export class HeartbeatBatcher {
  readonly #groups = new Map<string, Group>();

  /**
   * @param requestTimeoutMs - bound of each call
   * @param onError - receives failed batches (the waiters re-check on their own timers)
   */
  constructor(
    private readonly requestTimeoutMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Starts refreshing `id`; `onGone` is called (the waiter re-checks) if it turns out not to be
   * queued any more, or when Redis refused a refresh (see {@link isRedisRefusal}).
   */
  add(target: HeartbeatTarget, id: string, onGone: () => void): void {
    let group = this.#groups.get(target.channel);
    if (!group) {
      group = { target, waiters: new Map(), timer: undefined };
      this.#groups.set(target.channel, group);
      this.#schedule(group);
    }
    group.waiters.set(id, onGone);
  }

  /** Stops refreshing `id`. */
  remove(channel: string, id: string): void {
    const group = this.#groups.get(channel);
    if (!group) return;
    group.waiters.delete(id);
    if (group.waiters.size === 0) {
      clearTimeout(group.timer);
      this.#groups.delete(channel);
    }
  }

  /** Stops every timer. */
  close(): void {
    for (const group of this.#groups.values()) clearTimeout(group.timer);
    this.#groups.clear();
  }

  // About every third of the waiter TTL, with a little jitter so processes do not beat in step.
  #schedule(group: Group): void {
    const period = Math.floor(group.target.waiterTtlMs / 3);
    const delay = period - randomInt(0, Math.max(1, Math.floor(period / 10)));
    group.timer = setTimeout(() => void this.#beat(group), delay);
    group.timer.unref();
  }

  async #beat(group: Group): Promise<void> {
    const ids = [...group.waiters.keys()];
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = ids.slice(i, i + BATCH);
      try {
        const gone = await bounded(
          group.target.heartbeat(batch),
          `refreshing waiters of "${group.target.name}"`,
          this.requestTimeoutMs,
        );
        for (const id of gone) group.waiters.get(id)?.();
      } catch (err) {
        this.onError(err);
        // Refused (an ACL rule missing): the waiters' own attempts would be too. Each re-checks
        // now and fails at once, instead of sleeping until its wait ends.
        if (isRedisRefusal(err)) for (const id of batch) group.waiters.get(id)?.();
      }
    }
    if (this.#groups.get(group.target.channel) === group) this.#schedule(group);
  }
}
