// The lock engine on one Redis or a Redis Cluster: the lock-*.lua scripts behind the shared
// acquisition loop.

import { type AdoptOptions, adoptLease } from '../adopt/adopt-lease.js';
import type { LimiterKind } from '../diagnostics/channels.js';
import type { Lease } from '../lease/lease.js';
import type { LeaseDriver } from '../lease/lease-driver.js';
import { parseAttemptReply, parsePushed, parseReleaseReply } from '../redis/replies.js';
import { bounded } from '../redis/request.js';
import { ScriptLeaseDriver } from '../redis/script-driver.js';
import { type RedisClient, runScript, STATUS } from '../redis/scripts.js';
import { keySet } from '../util/names.js';
import type { Filled } from '../util/option-names.js';
import { acquire } from '../waiting/acquisition.js';
import type { AcquireRequest, AcquireRuntime, AttemptReply, Contender, PushedReply } from '../waiting/contender.js';
import type { LockEngine, LockState } from './lock-engine.js';
import type { LockOptions } from './lock-options.js';

const INSPECT_LIMIT = 1_000;

/** A mutex on a single Redis or a Cluster (all keys of one name in one slot). */
export class RedisLockEngine extends ScriptLeaseDriver implements LockEngine, Contender {
  readonly kind: LimiterKind = 'lock';
  readonly channel: string;
  readonly ttlMs: number;
  readonly weight = 1;
  readonly maxWaiters: number;
  readonly waiterTtlMs: number;
  readonly #keys: readonly string[];
  readonly #fastKeys: readonly string[];
  readonly #extendKeys: readonly string[];
  readonly #inspectKeys: readonly string[];
  readonly #heartbeatKeys: readonly string[];

  constructor(
    name: string,
    prefix: string,
    options: Filled<LockOptions>,
    private readonly client: RedisClient,
    runtime: AcquireRuntime,
  ) {
    super(name, runtime);
    const keys = keySet(prefix, 'l', name);
    this.#keys = keys.keys;
    this.#fastKeys = keys.keys.slice(0, 2);
    this.#extendKeys = keys.keys.slice(0, 1);
    this.#inspectKeys = keys.keys.slice(0, 3);
    this.#heartbeatKeys = keys.keys.slice(1, 4);
    this.channel = keys.channel;
    this.ttlMs = options.ttlMs;
    this.maxWaiters = options.maxWaiters;
    this.waiterTtlMs = options.waiterTtlMs;
  }

  acquire(request: AcquireRequest): Promise<Lease | null> {
    return acquire(this, this.runtime, request);
  }

  adopt(handle: unknown, options?: AdoptOptions): Promise<Lease> {
    const target = { name: this.name, kind: 'lock', ttlMs: this.ttlMs, fenced: true, driver: this } as const;
    return adoptLease({ ...target, runtime: this.runtime }, handle, options);
  }

  async attempt(id: string, token: string, wait: boolean, first = false): Promise<AttemptReply> {
    if (first) {
      // Uncontended: one cheap script (a fence string when granted). Held: a try is answered here;
      // anything else takes the full script, in the next attempt.
      const fast = await runScript(this.client, 'lockAcquireFast', this.#fastKeys, [token, this.ttlMs]);
      if (typeof fast === 'string') {
        this.noteFastGrant(id, fast);
        return { kind: 'granted', fence: Number(fast), remainingMs: this.ttlMs };
      }
      return fast === STATUS.busy && !wait ? { kind: 'busy', recheckInMs: -1 } : { kind: 'contended' };
    }
    const reply = (await runScript(this.client, 'lockAcquire', this.#keys, [
      id,
      token,
      this.ttlMs,
      wait ? '1' : '0',
      this.waiterTtlMs,
      this.maxWaiters,
    ])) as number[];
    return parseAttemptReply('lock-acquire', reply);
  }

  async heartbeat(ids: readonly string[]): Promise<string[]> {
    return (await runScript(this.client, 'lockHeartbeat', this.#heartbeatKeys, [this.waiterTtlMs, ...ids])) as string[];
  }

  async giveUp(id: string, token: string): Promise<number> {
    const { status, handed } = parseReleaseReply(await runScript(this.client, 'lockRelease', this.#keys, [id, token]));
    if (handed.length > 0) this.runtime.handOff(handed);
    return status;
  }

  parse(message: string): PushedReply {
    return parsePushed(message);
  }

  /** Extends and releases the leases this lock grants. */
  /** The lock is its own lease driver. */
  get driver(): LeaseDriver {
    return this;
  }

  protected extendScript(_id: string, token: string, ttlMs: number): Promise<unknown> {
    return runScript(this.client, 'lockExtend', this.#extendKeys, [token, ttlMs]);
  }

  protected fastReleaseScript(_id: string, token: string, fence: string): Promise<unknown> {
    return runScript(this.client, 'lockReleaseFast', this.#fastKeys, [token, fence]);
  }

  async inspect(): Promise<LockState> {
    const reply = (await bounded(
      runScript(this.client, 'lockInspect', this.#inspectKeys, [INSPECT_LIMIT]),
      `inspecting "${this.name}"`,
      this.runtime.requestTimeoutMs,
    )) as [number, number, number, number, number[]];
    const [, left, fence, waiting, alive] = reply;
    const held = left > 0;
    return {
      held,
      fence: held ? fence : undefined,
      expiresInMs: held ? left : 0,
      waiting,
      waiters: alive.map((aliveUntil) => ({ aliveUntil: Number(aliveUntil) })),
    };
  }
}
