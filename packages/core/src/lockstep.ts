// The entry point: validates the client(s) once and creates locks and semaphores on them.
import type { Redis } from 'ioredis';
import { LockstepAdmin } from './admin/admin.js';
import { InvalidArgumentError, LockstepError } from './errors.js';
import { DETACH, type Lease } from './lease/lease.js';
import { Lock } from './lock/lock.js';
import { type LockOptions, resolveLockOptions } from './lock/lock-options.js';
import { RedisLockEngine } from './lock/redis-lock.js';
import type { LockstepLike } from './lockstep-like.js';
import { type LockstepOptions, type ResolvedLockstepOptions, resolveLockstepOptions } from './lockstep-options.js';
import { lockAllWith, type MultiLock } from './multi/multi-lock.js';
import { QuorumLockEngine } from './quorum/quorum-lock.js';
import { createQuorumSemaphore } from './quorum/quorum-semaphore.js';
import { withConnectionState } from './redis/connection-state.js';
import type { RedisClient } from './redis/scripts.js';
import { Semaphore } from './semaphore/semaphore.js';
import { SemaphoreEngine } from './semaphore/semaphore-engine.js';
import { resolveSemaphoreOptions, type SemaphoreOptions } from './semaphore/semaphore-options.js';
import { GrantRecorder } from './stats/grant-recorder.js';
import { RequestIds } from './util/ids.js';
import { checkName } from './util/names.js';
import type { AcquireRuntime } from './waiting/contender.js';
import { HeartbeatBatcher } from './waiting/heartbeats.js';
import { WaitHub } from './waiting/wait-hub.js';

/**
 * Distributed locks and semaphores on Redis.
 *
 * - One ioredis `Redis` or `Cluster`: mutex locks with fencing tokens and FIFO hand-off, and
 *   priority semaphores.
 * - An array of independent `Redis` clients: quorum (Redlock) locks.
 *
 * @example
 * ```ts
 * const lockstep = new Lockstep({ redis: new Redis() });
 * await lockstep.lock('invoice:42', { ttlMs: 10_000 }).withLock(async (lease) => {
 *   await charge(invoice, { fence: lease.fence, signal: lease.signal });
 * });
 * await lockstep.close();
 * ```
 */
export class Lockstep implements LockstepLike {
  readonly #options: ResolvedLockstepOptions;
  readonly #runtime: AcquireRuntime;
  readonly #leases = new Set<Lease>();
  /** This instance's request ids: their prefix names its grant channels (see WaitHub). */
  readonly #ids = new RequestIds();
  #hub: WaitHub | undefined;
  #heartbeats: HeartbeatBatcher | undefined;
  #closed = false;
  readonly #recorder: GrantRecorder | undefined;

  /**
   * @param options - the client(s) and settings
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a wrong client type or option
   */
  constructor(options: LockstepOptions) {
    this.#options = resolveLockstepOptions(options);
    const o = this.#options;
    const leases = this.#leases;
    const recorder =
      o.stats && !o.quorum ? new GrantRecorder(o.clients[0] as Redis, (e) => this.#runtime.onError(e)) : undefined;
    this.#recorder = recorder;
    this.#runtime = {
      requestTimeoutMs: o.requestTimeoutMs,
      drift: (ttlMs) => Math.floor(ttlMs * o.driftFactor) + 2,
      newId: () => this.#ids.next(),
      hub: () => this.#getHub(),
      handOff: (messages) => this.#hub?.deliver(messages),
      heartbeats: () => {
        this.#heartbeats ??= new HeartbeatBatcher(o.requestTimeoutMs, (error) => this.#runtime.onError(error));
        return this.#heartbeats;
      },
      assertOpen: () => {
        if (this.#closed) throw new LockstepError('ERR_CLOSED', 'This Lockstep instance is closed');
      },
      explain: (error) => withConnectionState(error, o.quorum ? undefined : o.clients[0]),
      onError: (error) => {
        try {
          o.onError(error);
        } catch {
          // A throwing error handler must not become an unhandled exception either.
        }
      },
      track: (lease) => {
        leases.add(lease);
      },
      untrack: (lease) => {
        leases.delete(lease);
      },
      granted: recorder ? (c, waitedMs) => recorder.record(c.channel, waitedMs, c.limit, c.classes) : () => undefined,
    };
  }

  /** True when constructed with several independent servers (quorum locks). */
  get isQuorum(): boolean {
    return this.#options.quorum;
  }

  /**
   * The client this instance was created with, in single-Redis or Cluster mode (`undefined` in quorum
   * mode), for integrations that keep their own keys next to Lockstep's (such as
   * `@lockstep/bullmq`'s parked jobs). Lockstep never quits it.
   */
  get client(): RedisClient | undefined {
    return this.#options.quorum ? undefined : this.#options.clients[0];
  }

  #getHub(): WaitHub {
    this.#runtime.assertOpen();
    if (!this.#hub) {
      this.#hub = new WaitHub(this.#options.clients[0] as Redis, this.#ids.prefix, (error) =>
        this.#runtime.onError(error),
      );
    }
    return this.#hub;
  }

  /**
   * A mutex for `name`. Cheap to create; create one per name and reuse it, or create one per call.
   *
   * @param name - any non-empty string up to 512 UTF-8 bytes; it is encoded, so characters such as
   *   `{`, `}` or `:` cannot reach another lock's keys or choose a cluster slot
   * @param options - `ttlMs`, `waiterTtlMs`, `maxWaiters`
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   */
  lock(name: string, options?: LockOptions): Lock {
    this.#runtime.assertOpen();
    checkName(name);
    const resolved = resolveLockOptions(options);
    const o = this.#options;
    const engine = o.quorum
      ? new QuorumLockEngine(name, o.prefix, resolved, o.clients as readonly Redis[], o.quorumOptions, this.#runtime)
      : new RedisLockEngine(name, o.prefix, resolved, o.clients[0] as Redis, this.#runtime);
    return new Lock(name, engine);
  }

  /**
   * Several locks taken together (node-redlock's `acquire(['a', 'b'])`): a money transfer locks both
   * accounts. Names are taken in one canonical (sorted) order whatever order they are listed in, so
   * callers never deadlock; all or nothing. Works on a single Redis, a Cluster (names in any slots)
   * and quorum servers (there `lease.fences` holds `undefined`s).
   *
   * @param names - 1 to 1,000 distinct names, each as for {@link Lockstep.lock}
   * @param options - `ttlMs`, `waiterTtlMs`, `maxWaiters`, applied to every name
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   * @example
   * ```ts
   * const lease = await lockstep.lockAll(['account:17', 'account:42'], { ttlMs: 10_000 }).acquire({ waitMs: 5_000 });
   * lease.fences; // one fence per name, in the order given
   * await lease.release();
   * ```
   */
  lockAll(names: readonly string[], options?: LockOptions): MultiLock {
    this.#runtime.assertOpen();
    return lockAllWith(names, (name) => this.lock(name, options));
  }

  /**
   * A counting semaphore for `name` with `limit` weighted permits, served by priority then arrival
   * order. In quorum mode, a quorum semaphore: each of `limit` slots is granted by a majority, no
   * fence, no queue (priority is best-effort), no `setLimit`/`inspect`/`agingMs`.
   *
   * @param name - as for {@link Lockstep.lock}; locks and semaphores never share keys
   * @param options - `limit` (required), `ttlMs`, `maxWaiters`, `priorities`, `agingMs`, …
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`
   */
  semaphore(name: string, options: SemaphoreOptions): Semaphore {
    this.#runtime.assertOpen();
    checkName(name);
    const resolved = resolveSemaphoreOptions(options);
    const o = this.#options;
    const engine = o.quorum
      ? createQuorumSemaphore(name, o.prefix, resolved, o.clients as readonly Redis[], o.quorumOptions, this.#runtime)
      : new SemaphoreEngine(name, o.prefix, { ...resolved }, o.clients[0] as Redis, this.#runtime);
    return new Semaphore(name, resolved, engine);
  }

  /**
   * Operator tools on this instance's client and prefix: list every live lock and semaphore, inspect
   * one, force-release, read grant statistics. See {@link LockstepAdmin}.
   *
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` in quorum mode
   */
  admin(): LockstepAdmin {
    if (this.#options.quorum) {
      throw new InvalidArgumentError(
        'The admin tools need a single Redis or a Cluster, not an array of quorum clients',
      );
    }
    return new LockstepAdmin({ redis: this.#options.clients[0] as Redis, prefix: this.#options.prefix });
  }

  /**
   * Stops every auto-extension timer and the subscriber connection. Leases are not released (they
   * expire with their TTL); waits in progress end with `ERR_CLOSED` or time out. The user's
   * clients are not quit. With `stats: true`, the grant statistics not yet written are written
   * first (waiting at most `requestTimeoutMs`), so once this resolves you may quit or disconnect
   * the client without cutting off a write of Lockstep's.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const lease of this.#leases) lease[DETACH]();
    this.#leases.clear();
    this.#heartbeats?.close();
    const hub = this.#hub;
    this.#hub = undefined;
    await Promise.all([this.#recorder?.close(this.#options.requestTimeoutMs), hub?.close()]);
  }
}
