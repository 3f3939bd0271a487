// Semaphores on one Redis or a Redis Cluster: the sem-*.lua scripts behind the shared acquisition loop.
import {
  type AcquireRequest,
  type AcquireRuntime,
  type AttemptReply,
  acquire,
  type Contender,
  type PushedReply,
} from './acquire.js';
import type { Lease, LeaseDriver } from './lease.js';
import { keySet } from './names.js';
import { parsePushed, unexpectedReply } from './redis-lock.js';
import { ScriptLeaseDriver } from './script-driver.js';
import { type RedisClient, runScript } from './scripts.js';

/** One acquisition's parameters. */
export interface PermitRequest {
  readonly weight: number;
  readonly priority: number;
}

/** The settings every script call of a semaphore needs. */
export interface SemaphoreSettings {
  limit: number;
  readonly ttlMs: number;
  readonly waiterTtlMs: number;
  readonly maxWaiters: number;
  readonly agingMs: number;
  /** Named priority classes (for grant statistics: the dashboard shows the names). */
  readonly classes?: ReadonlyMap<string, number>;
}

/** Runs the semaphore scripts for one name. */
export class SemaphoreEngine extends ScriptLeaseDriver {
  readonly keys: readonly string[];
  readonly channel: string;
  readonly #extendKeys: readonly string[];

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
  }

  /** Acquires `permit.weight` permits at `permit.priority`. */
  acquire(permit: PermitRequest, request: AcquireRequest): Promise<Lease | null> {
    return acquire(this.#contender(permit), this.runtime, request);
  }

  #contender(permit: PermitRequest): Contender {
    const s = this.settings;
    return {
      name: this.name,
      channel: this.channel,
      ttlMs: s.ttlMs,
      weight: permit.weight,
      maxWaiters: s.maxWaiters,
      waiterTtlMs: s.waiterTtlMs,
      attempt: (id, token, wait) => this.#attempt(id, token, wait, permit),
      giveUp: (id, token) => this.giveUp(id, token),
      parse: (message): PushedReply => parsePushed(message),
      driver: this,
      heartbeat: (ids) => this.heartbeat(ids),
      limit: s.limit,
      ...(s.classes ? { classes: s.classes } : {}),
    };
  }

  async #attempt(id: string, token: string, wait: boolean, permit: PermitRequest): Promise<AttemptReply> {
    const s = this.settings;
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
    switch (reply[0]) {
      case 1:
        return { kind: 'granted', fence: reply[1] ?? 0, remainingMs: (reply[2] ?? 0) - (reply[3] ?? 0) };
      case 0: {
        const holder = reply[2] ?? -1;
        const now = reply[3] ?? 0;
        return { kind: 'queued', recheckInMs: holder < 0 ? -1 : Math.max(0, holder - now), serverNow: now };
      }
      case -1: {
        const holder = reply[1] ?? -1;
        return { kind: 'busy', recheckInMs: holder < 0 ? -1 : Math.max(0, holder - (reply[2] ?? 0)) };
      }
      case -2:
        return { kind: 'full' };
      case -3:
        return { kind: 'too-heavy', limit: reply[1] ?? 0 };
      default:
        throw unexpectedReply('sem-acquire', reply);
    }
  }

  /** Refreshes many queued waiters at once; resolves with those no longer queued. */
  async heartbeat(ids: readonly string[]): Promise<string[]> {
    const keys = this.keys.slice(0, 4);
    return (await runScript(this.client, 'semHeartbeat', keys, [this.settings.waiterTtlMs, ...ids])) as string[];
  }

  /** Gives up a grant or queue place of `id` (1 released, 2 dequeued, 0 nothing). */
  async giveUp(id: string, token: string): Promise<number> {
    return Number(await runScript(this.client, 'semRelease', this.keys, [id, token, this.settings.limit]));
  }

  /** Extends and releases this semaphore's permits. */
  protected extendScript(id: string, token: string, ttlMs: number): Promise<unknown> {
    return runScript(this.client, 'semExtend', this.#extendKeys, [id, token, ttlMs]);
  }
}
