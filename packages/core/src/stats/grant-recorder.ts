// Counts this process's grants per name and second, with their waits, and adds them to Redis once
// a second (one pipelined write per active name), so the dashboard sees every process's grants.
import type { RedisClient } from '../scripts.js';
import { grantsField, LIMIT_FIELD, STATS_TTL_MS, statsKey, waitBucket, waitField } from './stats-layout.js';

const FLUSH_EVERY_MS = 1_000;

interface Pending {
  /** field -> count to add */
  readonly counts: Map<string, number>;
  limit: number | undefined;
}

/**
 * Records grants in memory (a map update on the grant path, no Redis call) and flushes them in the
 * background. A failed flush is reported to `onError` and its counts are dropped: statistics are
 * best effort and never slow down or fail an acquisition.
 */
export class GrantRecorder {
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * @param client - the client the locks use (its keyPrefix applies)
   * @param onError - receives flush failures
   */
  constructor(
    private readonly client: RedisClient,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Counts one grant.
   *
   * @param channel - the name's grant channel, `{tag}:c`
   * @param waitedMs - time from the acquisition's start to the grant
   * @param limit - the semaphore limit this process uses (undefined for locks)
   */
  record(channel: string, waitedMs: number, limit: number | undefined): void {
    if (this.#closed) return;
    const tag = channel.slice(0, channel.lastIndexOf(':'));
    let entry = this.#pending.get(tag);
    if (!entry) {
      entry = { counts: new Map(), limit };
      this.#pending.set(tag, entry);
    }
    entry.limit = limit;
    const second = Math.floor(Date.now() / 1000);
    const g = grantsField(second);
    entry.counts.set(g, (entry.counts.get(g) ?? 0) + 1);
    const w = waitField(second, waitBucket(waitedMs));
    entry.counts.set(w, (entry.counts.get(w) ?? 0) + 1);
    if (!this.#timer) {
      this.#timer = setTimeout(() => this.#tick(), FLUSH_EVERY_MS);
      this.#timer.unref();
    }
  }

  #tick(): void {
    this.#timer = undefined;
    this.flush().catch((error: unknown) => this.onError(error));
  }

  /** Writes what was recorded so far (one pipeline per name, all keys in the name's slot). */
  async flush(): Promise<void> {
    const batch = [...this.#pending];
    this.#pending.clear();
    await Promise.all(
      batch.map(async ([tag, entry]) => {
        const byMinute = new Map<number, string[]>();
        for (const [field, count] of entry.counts) {
          const minute = Math.floor(Number.parseInt(field, 10) / 60);
          const list = byMinute.get(minute) ?? [];
          list.push(field, String(count));
          byMinute.set(minute, list);
        }
        const pipeline = this.client.pipeline();
        for (const [minute, list] of byMinute) {
          const key = statsKey(tag, minute);
          for (let i = 0; i < list.length; i += 2) pipeline.hincrby(key, list[i] as string, Number(list[i + 1]));
          if (entry.limit !== undefined) pipeline.hset(key, LIMIT_FIELD, entry.limit);
          pipeline.pexpire(key, STATS_TTL_MS);
        }
        const results = (await pipeline.exec()) ?? [];
        const failed = results.find(([error]) => error);
        if (failed) throw failed[0];
      }),
    );
  }

  /** Stops the timer and sends what is pending (best effort, not awaited: the client may be closing). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size > 0) this.flush().catch((error: unknown) => this.onError(error));
  }
}
