// The lock engine on one Redis or a Redis Cluster: the lock-*.lua scripts behind the shared
// acquisition loop.
import {
  type AcquireRequest,
  type AcquireRuntime,
  type AttemptReply,
  acquire,
  type Contender,
  type PushedReply,
} from './acquire.js';
import { type AdoptOptions, adoptLease } from './adopt/adopt-lease.js';
import type { LimiterKind } from './diagnostics/channels.js';
import { LockstepError } from './errors.js';
import type { Lease, LeaseDriver } from './lease.js';
import type { LockEngine, LockState } from './lock-engine.js';
import { keySet } from './names.js';
import type { LockOptions } from './options.js';
import { bounded } from './request.js';
import { ScriptLeaseDriver } from './script-driver.js';
import { type RedisClient, runScript, STATUS } from './scripts.js';

const INSPECT_LIMIT = 1_000;

/** Maps a script reply that should not happen to ERR_INTERNAL. */
export function unexpectedReply(script: string, reply: unknown): LockstepError {
  return new LockstepError('ERR_INTERNAL', `Unexpected reply from ${script}: ${JSON.stringify(reply)}`);
}

/**
 * Reads the one reply shape of lock-acquire and sem-acquire (src/lua/includes/acquire-reply.lua):
 * `[status, fence, ms, now, limit]`.
 * @throws {@link LockstepError} ERR_INTERNAL for a status this client does not expect.
 */
export function parseAttemptReply(script: string, reply: readonly number[]): AttemptReply {
  const [status, fence = 0, ms = -1, now = 0, limit = 0] = reply;
  switch (status) {
    case STATUS.granted:
      return { kind: 'granted', fence, remainingMs: ms };
    case STATUS.queued:
      return { kind: 'queued', recheckInMs: ms, serverNow: now };
    case STATUS.busy:
      return { kind: 'busy', recheckInMs: ms };
    case STATUS.full:
      return { kind: 'full' };
    case STATUS.tooHeavy:
      return { kind: 'too-heavy', limit };
    default:
      throw unexpectedReply(script, reply);
  }
}

/** Parses "id|fence|deadline|claimMs" (a grant, a claim until deadline) or "id|x|limit" (a rejection). */
export function parsePushed(message: string): PushedReply {
  const [, second, third, fourth] = message.split('|');
  if (second === 'x') return { kind: 'rejected', limit: Number(third) };
  return { kind: 'granted', fence: Number(second), deadline: Number(third), claimMs: Number(fourth ?? 0) };
}

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
    options: Required<LockOptions>,
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
        this.noteFastGrant(id);
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
    return Number(await runScript(this.client, 'lockRelease', this.#keys, [id, token]));
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

  protected fastReleaseScript(_id: string, token: string): Promise<unknown> {
    return runScript(this.client, 'lockReleaseFast', this.#fastKeys, [token]);
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
