// Counts this process's grants per name and second, with their waits, and adds them to Redis once
// a second (one pipelined write per active name), so the dashboard sees every process's grants.
import { bounded } from '../redis/request.js';
import { type RedisClient, runScript } from '../redis/scripts.js';
import { STATS_TTL_MS, statsKey, waitBucket, waitField } from './stats-layout.js';

const FLUSH_EVERY_MS = 1_000;

interface Pending {
  /** field -> count to add */
  readonly counts: Map<string, number>;
  limit: number | undefined;
  classes: string;
}

const encoded = new WeakMap<ReadonlyMap<string, number>, string>();

/** Priority classes as stored: JSON of [value, name] pairs, highest first. */
function encodeClasses(classes: ReadonlyMap<string, number> | undefined): string {
  if (!classes || classes.size === 0) return '';
  let text = encoded.get(classes);
  if (text === undefined) {
    text = JSON.stringify([...classes].map(([name, value]) => [value, name]));
    encoded.set(classes, text);
  }
  return text;
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
   * @param classes - the semaphore's named priority classes
   */
  record(channel: string, waitedMs: number, limit: number | undefined, classes?: ReadonlyMap<string, number>): void {
    if (this.#closed) return;
    const tag = channel.slice(0, channel.lastIndexOf(':'));
    let entry = this.#pending.get(tag);
    if (!entry) {
      entry = { counts: new Map(), limit, classes: '' };
      this.#pending.set(tag, entry);
    }
    entry.limit = limit;
    entry.classes = encodeClasses(classes);
    const second = Math.floor(Date.now() / 1000);
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

  /** Writes what was recorded so far: one script call per name and minute (stats-add-1.lua). */
  async flush(): Promise<void> {
    const batch = [...this.#pending];
    this.#pending.clear();
    const calls: Promise<unknown>[] = [];
    for (const [tag, entry] of batch) {
      const byMinute = new Map<number, string[]>();
      for (const [field, count] of entry.counts) {
        const minute = Math.floor(Number.parseInt(field, 10) / 60);
        const list = byMinute.get(minute) ?? [STATS_TTL_MS.toString(), entry.limit?.toString() ?? '', entry.classes];
        list.push(field, String(count));
        byMinute.set(minute, list);
      }
      for (const [minute, args] of byMinute)
        calls.push(runScript(this.client, 'statsAdd', [statsKey(tag, minute)], args));
    }
    const failed = (await Promise.allSettled(calls)).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /**
   * Stops the timer and sends what is pending, waiting at most `timeoutMs` for it: once this
   * settles, nothing of the recorder is in flight on the client, so the caller may quit or
   * disconnect it. A failure goes to `onError`; this never rejects.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    await bounded(this.flush(), 'writing grant statistics', timeoutMs).catch((error: unknown) => this.onError(error));
  }
}
