// Operator tools: list every live lock and semaphore of a prefix, inspect one, force-release, and
// read grant statistics. Used by @lockstep/dashboard and @lockstep/cli; never exposes tokens.
import { InvalidArgumentError, LockstepError } from '../errors.js';
import { isIoredisClient } from '../lockstep-options.js';
import { bounded } from '../redis/request.js';
import { type RedisClient, runScript } from '../redis/scripts.js';
import { checkName, checkPrefix } from '../util/names.js';
import { checkInteger, checkOptions, describe, MAX_TIMER_MS } from '../util/validate.js';
import type { NameDetail, NameSummary, RateSeries } from './admin-types.js';
import { discoverNames } from './discover.js';
import { keysOf, type NameKind, type NameRef, tagOf } from './key-layout.js';
import { readMinutes, reportedClasses, reportedLimit, toSeries } from './rates.js';
import { lockDetail, semaphoreDetail } from './snapshots.js';

/** Options of {@link LockstepAdmin}. */
export interface LockstepAdminOptions {
  /** An ioredis `Redis` or `Cluster` (not quorum clients). Never quit by Lockstep. */
  readonly redis: RedisClient;
  /** The Lockstep prefix. @defaultValue `'lockstep'` */
  readonly prefix?: string | undefined;
  /** Longest wait for one Redis reply, ms. @defaultValue `5_000` */
  readonly requestTimeoutMs?: number | undefined;
}

/** Options of {@link LockstepAdmin.forceRelease}. */
export interface ForceReleaseOptions {
  /** Remove only the holder with this fence (a number or its decimal string). @defaultValue every holder */
  readonly fence?: number | string | undefined;
}

const KNOWN_OPTIONS = new Set(['redis', 'prefix', 'requestTimeoutMs']);

function checkKind(kind: unknown): NameKind {
  if (kind !== 'lock' && kind !== 'semaphore') {
    throw new InvalidArgumentError(`Expected \`kind\` to be "lock" or "semaphore", got ${describe(kind)}`);
  }
  return kind;
}

/** A fence as the scripts compare it: decimal digits, no leading zeros. */
function checkFence(fence: unknown): string {
  const text = typeof fence === 'number' && Number.isSafeInteger(fence) ? String(fence) : fence;
  if (typeof text !== 'string' || !/^[1-9][0-9]{0,19}$/.test(text)) {
    throw new InvalidArgumentError(`Expected \`fence\` to be a positive integer, got ${describe(fence)}`);
  }
  return text;
}

/**
 * Operator tools on one Redis or Cluster. Get one from `lockstep.admin()` or create it with the
 * client and prefix your processes use.
 *
 * @example
 * ```ts
 * const admin = new LockstepAdmin({ redis: new Redis(), prefix: 'lockstep' });
 * for (const s of await admin.list()) console.log(s.kind, s.name, s.used, s.waiters);
 * ```
 */
export class LockstepAdmin {
  readonly #client: RedisClient;
  /** The Lockstep prefix this instance reads. */
  readonly prefix: string;
  readonly #timeoutMs: number;

  /** @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a wrong client or option */
  constructor(options: LockstepAdminOptions) {
    const o = checkOptions('options', options);
    for (const key of Object.keys(o)) {
      if (!KNOWN_OPTIONS.has(key)) throw new InvalidArgumentError(`Unknown option \`${key}\` of LockstepAdmin`);
    }
    if (!isIoredisClient(o.redis)) {
      throw new InvalidArgumentError(`Expected \`redis\` to be an ioredis Redis or Cluster, got ${describe(o.redis)}`);
    }
    this.#client = o.redis;
    this.prefix = checkPrefix(o.prefix ?? 'lockstep');
    this.#timeoutMs = checkInteger('requestTimeoutMs', o.requestTimeoutMs ?? 5_000, 1, MAX_TIMER_MS);
  }

  #bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    return bounded(promise, what, this.#timeoutMs);
  }

  /**
   * Every lock and semaphore with keys under the prefix, across every process (SCAN on the server,
   * or on every Cluster primary), with its counts. Sorted by kind, then name. A name whose keys
   * hold values Lockstep did not write (another program's keys under the prefix) is left out:
   * `inspect()` of it throws `ERR_INTERNAL`.
   *
   * @throws `ERR_REDIS` when Redis cannot be reached
   */
  async list(): Promise<NameSummary[]> {
    const refs = await this.#bounded(discoverNames(this.#client, this.prefix), 'listing names');
    const details = await Promise.all(
      refs.map((ref) =>
        this.#detail(ref).catch((err: unknown) => {
          if (err instanceof LockstepError && err.code === 'ERR_INTERNAL') return undefined;
          throw err;
        }),
      ),
    );
    return details
      .filter((d): d is NameDetail => d !== undefined)
      .map(({ kind, name, limit, used, holders, waiters }) => ({ kind, name, limit, used, holders, waiters }));
  }

  /**
   * One lock or semaphore in detail, or `undefined` when it has no keys (never used, or expired).
   *
   * @throws {@link InvalidArgumentError} for a bad kind or name; `ERR_REDIS` on an outage;
   * `ERR_INTERNAL` when a key of the name holds a value Lockstep did not write
   */
  async inspect(kind: NameKind, name: string): Promise<NameDetail | undefined> {
    return await this.#detail({ kind: checkKind(kind), name: checkName(name) });
  }

  // A WRONGTYPE reply, or a reply the script could not shape, is no outage: a key of the name
  // holds another program's value.
  async #detail(ref: NameRef): Promise<NameDetail | undefined> {
    try {
      return await this.#read(ref);
    } catch (err) {
      if (!(err instanceof LockstepError)) throw err;
      const cause = err.cause;
      const wrongType = cause instanceof Error && cause.message.startsWith('WRONGTYPE');
      if (!wrongType && err.code !== 'ERR_INTERNAL') throw err;
      const what = `${ref.kind} ${JSON.stringify(ref.name)} has keys Lockstep did not write`;
      throw new LockstepError('ERR_INTERNAL', `${what} (${err.message})`, { cause: err });
    }
  }

  async #read(ref: NameRef): Promise<NameDetail | undefined> {
    const keys = keysOf(this.prefix, ref);
    const what = `inspecting "${ref.name}"`;
    const state = keys.slice(0, ref.kind === 'lock' ? 3 : 4);
    if ((await this.#bounded(this.#client.exists(...state), what)) === 0) return undefined;
    if (ref.kind === 'lock') {
      return lockDetail(ref.name, await this.#bounded(runScript(this.#client, 'lockInspect', state, [1_000]), what));
    }
    const minutes = await this.#bounded(readMinutes(this.#client, tagOf(this.prefix, ref), Date.now()), what);
    const limit = reportedLimit(minutes);
    const reply = await this.#bounded(runScript(this.#client, 'semInspect', state, [limit ?? 0, 1_000]), what);
    return semaphoreDetail(ref.name, reply, reportedClasses(minutes));
  }

  /**
   * Force-releases a lock or semaphore: every holder, or only the one with `fence`. The permits go
   * to the next waiters exactly as a normal release passes them on (one Lua script, so a grant racing
   * it is either the one removed or left alone). The holders are not told at once: their next
   * extension (auto-extension included) fails, `lease.signal` aborts with `ERR_LEASE_LOST`.
   *
   * A semaphore's waiters are served in the same script only when its limit is known (a process
   * with `stats: true` reported it, or `setLimit()` stored it); otherwise they take the freed permits
   * at their next re-check, at most one lease later.
   *
   * @returns the number of holders removed (0: nothing matched)
   * @throws {@link InvalidArgumentError} for a bad kind, name or fence; `ERR_REDIS` on an outage
   */
  async forceRelease(kind: NameKind, name: string, options: ForceReleaseOptions = {}): Promise<number> {
    const ref = { kind: checkKind(kind), name: checkName(name) };
    const o = checkOptions('options', options);
    const fence = o.fence === undefined ? '' : checkFence(o.fence);
    const keys = keysOf(this.prefix, ref);
    const what = `force-releasing "${ref.name}"`;
    if (ref.kind === 'lock') {
      return Number(await this.#bounded(runScript(this.#client, 'lockForceRelease', keys, [fence]), what));
    }
    const limit = reportedLimit(
      await this.#bounded(readMinutes(this.#client, tagOf(this.prefix, ref), Date.now()), what),
    );
    return Number(await this.#bounded(runScript(this.#client, 'semForceRelease', keys, [fence, limit ?? 0]), what));
  }

  /**
   * Grants per second and wait percentiles of the last `seconds` seconds, summed over every process
   * that runs with `stats: true`.
   *
   * @param seconds - window length, 1 to 300 @defaultValue 120
   */
  async rates(kind: NameKind, name: string, seconds = 120): Promise<RateSeries> {
    const ref = { kind: checkKind(kind), name: checkName(name) };
    checkInteger('seconds', seconds, 1, 300);
    const now = Date.now();
    const minutes = await this.#bounded(
      readMinutes(this.#client, tagOf(this.prefix, ref), now),
      `reading rates of "${name}"`,
    );
    return toSeries(minutes, now, seconds);
  }
}
