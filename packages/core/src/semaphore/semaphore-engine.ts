// Semaphores on one Redis or a Redis Cluster: the sem-*.lua scripts behind the shared acquisition loop.

import { type AdoptOptions, adoptLease } from '../adopt/adopt-lease.js';
import type { LimiterKind } from '../diagnostics/channels.js';
import type { Lease } from '../lease/lease.js';
import { parseAttemptReply, parseReleaseReply } from '../redis/replies.js';
import { bounded } from '../redis/request.js';
import { ScriptLeaseDriver } from '../redis/script-driver.js';
import { type RedisClient, runScript, STATUS } from '../redis/scripts.js';
import { keySet } from '../util/names.js';
import { acquire } from '../waiting/acquisition.js';
import type { AcquireRequest, AcquireRuntime, AttemptReply } from '../waiting/contender.js';
import type { PermitRequest, SemaphoreBackend, SemaphoreHolder, SemaphoreState, SemaphoreWaiter } from './semaphore.js';
import { SemaphoreContender } from './semaphore-contender.js';

export type { PermitRequest } from './semaphore.js';

const INSPECT_LIMIT = 1_000;

/** The settings every script call of a semaphore needs. */
export interface SemaphoreSettings {
  limit: number;
  readonly ttlMs: number;
  readonly waiterTtlMs: number;
  readonly maxWaiters: number;
  readonly agingMs: number;
  /** Priority class names by value, for `inspect()`. */
  readonly classes: ReadonlyMap<string, number>;
}

/** Runs the semaphore scripts for one name. */
export class SemaphoreEngine extends ScriptLeaseDriver implements SemaphoreBackend {
  readonly kind: LimiterKind = 'semaphore';
  readonly keys: readonly string[];
  readonly channel: string;
  readonly #extendKeys: readonly string[];
  readonly #fastKeys: readonly string[];

  constructor(
    name: string,
    prefix: string,
    readonly settings: SemaphoreSettings,
    readonly client: RedisClient,
    runtime: AcquireRuntime,
  ) {
    super(name, runtime);
    const keys = keySet(prefix, 's', name);
    this.keys = keys.keys;
    this.channel = keys.channel;
    this.#extendKeys = keys.keys.slice(0, 2);
    this.#fastKeys = keys.keys.slice(0, 2);
  }

  /** The limit this instance uses. */
  get limit(): number {
    return this.settings.limit;
  }

  /** Acquires `permit.weight` permits at `permit.priority`. */
  acquire(permit: PermitRequest, request: AcquireRequest): Promise<Lease | null> {
    return acquire(new SemaphoreContender(this, permit), this.runtime, request);
  }

  /** Runs the acquire script once for `permit`. */
  async attempt(id: string, token: string, wait: boolean, permit: PermitRequest, first = false): Promise<AttemptReply> {
    const s = this.settings;
    if (first) {
      // Uncontended: one cheap script (a fence string when granted). Full with live holders: a try
      // is answered here; anything else takes the full script, in the next attempt.
      const fast = await runScript(this.client, 'semAcquireFast', this.#fastKeys, [
        id,
        token,
        permit.weight,
        s.limit,
        s.ttlMs,
        wait ? '1' : '0',
      ]);
      if (typeof fast !== 'string') {
        return fast === STATUS.busy && !wait ? { kind: 'busy', recheckInMs: -1 } : { kind: 'contended' };
      }
      this.noteFastGrant(id, fast);
      return { kind: 'granted', fence: Number(fast), remainingMs: s.ttlMs };
    }
    const reply = (await runScript(this.client, 'semAcquire', this.keys, [
      id,
      token,
      permit.weight,
      s.limit,
      s.ttlMs,
      wait ? '1' : '0',
      permit.priority,
      s.waiterTtlMs,
      s.maxWaiters,
      s.agingMs,
    ])) as number[];
    return parseAttemptReply('sem-acquire', reply);
  }

  /** Refreshes many queued waiters at once; resolves with those no longer queued. */
  async heartbeat(ids: readonly string[]): Promise<string[]> {
    const keys = this.keys.slice(0, 4);
    return (await runScript(this.client, 'semHeartbeat', keys, [this.settings.waiterTtlMs, ...ids])) as string[];
  }

  /** Gives up a grant or queue place of `id` (a release status: STATUS.released, dequeued or nothing). */
  async giveUp(id: string, token: string): Promise<number> {
    const reply = await runScript(this.client, 'semRelease', this.keys, [id, token, this.settings.limit]);
    const { status, handed } = parseReleaseReply(reply);
    if (handed.length > 0) this.runtime.handOff(handed);
    return status;
  }

  /** Stores `limit` for every process while the keys live, and uses it from now on. */
  /** Adopts exported permits after `sem-extend` confirmed their id and token still hold. */
  adopt(handle: unknown, options?: AdoptOptions): Promise<Lease> {
    const target = { name: this.name, kind: 'semaphore', ttlMs: this.settings.ttlMs, fenced: true } as const;
    return adoptLease({ ...target, driver: this, runtime: this.runtime }, handle, options);
  }

  async setLimit(limit: number): Promise<void> {
    await bounded(
      runScript(this.client, 'semSetLimit', this.keys, [limit]),
      `setting the limit of "${this.name}"`,
      this.runtime.requestTimeoutMs,
    );
    this.settings.limit = limit;
  }

  /** Limit, permits in use, holders and waiters, in one consistent snapshot. */
  async inspect(): Promise<SemaphoreState> {
    const reply = (await bounded(
      runScript(this.client, 'semInspect', this.keys.slice(0, 4), [this.settings.limit, INSPECT_LIMIT]),
      `inspecting "${this.name}"`,
      this.runtime.requestTimeoutMs,
    )) as [number, number, number, (string | number)[], (string | number)[], number];
    const [, limit, used, flatHolders, flatWaiters, waiting] = reply;
    const names = new Map([...this.settings.classes].map(([name, value]) => [value, name]));
    const holders: SemaphoreHolder[] = [];
    for (let i = 0; i < flatHolders.length; i += 4) {
      holders.push({
        fence: Number(flatHolders[i]),
        weight: Number(flatHolders[i + 1]),
        expiresAt: Number(flatHolders[i + 2]),
        since: Number(flatHolders[i + 3]),
      });
    }
    const waiters: SemaphoreWaiter[] = [];
    for (let i = 0; i < flatWaiters.length; i += 4) {
      const priority = Number(flatWaiters[i]);
      waiters.push({
        priority,
        priorityName: names.get(priority),
        weight: Number(flatWaiters[i + 1]),
        since: Number(flatWaiters[i + 2]),
        aliveUntil: Number(flatWaiters[i + 3]),
      });
    }
    return { limit: Number(limit), used: Number(used), holders, waiters, waiting: Number(waiting) };
  }

  /** Extends and releases this semaphore's permits. */
  protected extendScript(id: string, token: string, ttlMs: number): Promise<unknown> {
    return runScript(this.client, 'semExtend', this.#extendKeys, [id, token, ttlMs]);
  }

  protected fastReleaseScript(id: string, token: string): Promise<unknown> {
    return runScript(this.client, 'semReleaseFast', this.#fastKeys, [id, token]);
  }
}
