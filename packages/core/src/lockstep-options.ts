// Options of a Lockstep instance: the client(s), key prefix, time bounds and quorum settings.
import type { Redis } from 'ioredis';
import { InvalidArgumentError } from './errors.js';
import type { RedisClient } from './redis/scripts.js';
import { checkPrefix } from './util/names.js';
import {
  assertKnownOptions,
  CORE_OPTION_PLACES,
  checkOptionNames,
  type Filled,
  orDefault,
} from './util/option-names.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkNumber,
  checkOptions,
  describe,
  MAX_TIMER_MS,
} from './util/validate.js';

/** Settings of quorum mode (several independent Redis servers). */
export interface QuorumOptions {
  /**
   * Longest wait for one node's answer, in ms; keep it a small fraction of the TTL.
   * @defaultValue 50
   */
  readonly nodeTimeoutMs?: number | undefined;
  /**
   * Base delay between attempts, in ms; a random jitter of up to `retryJitterMs` is added.
   * @defaultValue 50
   */
  readonly retryDelayMs?: number | undefined;
  /**
   * Largest random extra delay between attempts, in ms (from `crypto`).
   * @defaultValue 50
   */
  readonly retryJitterMs?: number | undefined;
  /**
   * Most node requests in flight at once for this Lockstep (across all quorum locks).
   * @defaultValue 256
   */
  readonly maxInFlight?: number | undefined;
  /**
   * How many times a release is re-sent to a node that failed to answer, with short fixed delays.
   * @defaultValue 2
   */
  readonly releaseRetries?: number | undefined;
}

/** Options of `new Lockstep(options)`. */
export interface LockstepOptions {
  /**
   * An ioredis `Redis` or `Cluster`, or an array of independent `Redis` clients for quorum
   * (Redlock) locks. Lockstep never quits them. A client's `keyPrefix` is honoured.
   */
  readonly redis: RedisClient | readonly Redis[];
  /**
   * Prefix of every key, inside the hash tag: `{prefix:l:name}`. 1-64 of `A-Z a-z 0-9 _ . -`.
   * @defaultValue 'lockstep'
   */
  readonly prefix?: string | undefined;
  /**
   * Longest wait for one Redis reply, in ms; a call without a reply by then has an unknown outcome
   * and is cleaned up by token (`ERR_REDIS`). Acquisitions also cap it at the lease TTL.
   * @defaultValue 5_000
   */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * Share of the TTL subtracted from every validity window for clock-rate drift (plus 2 ms).
   * @defaultValue 0.01
   */
  readonly driftFactor?: number | undefined;
  /**
   * Receives background errors (failed retries, subscriber errors, a throwing `onLost`). They are
   * never thrown at the event loop.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
  /** Quorum mode settings, used when `redis` is an array. */
  readonly quorum?: QuorumOptions | undefined;
  /**
   * Records grant statistics for the dashboard and CLI: grants per second and a wait-time histogram
   * per name, counted in memory and added to Redis once a second (keys `{prefix:l:name}:r:<minute>`,
   * kept 6 minutes), with the semaphore limit this process uses. Enable it in every process whose
   * grants should be counted. Ignored in quorum mode.
   *
   * @defaultValue `false`
   */
  readonly stats?: boolean | undefined;
}

/** Defaults of {@link LockstepOptions}. */
export const DEFAULT_LOCKSTEP_OPTIONS = Object.freeze({
  prefix: 'lockstep',
  requestTimeoutMs: 5_000,
  driftFactor: 0.01,
});

/** Defaults of {@link QuorumOptions}. */
export const DEFAULT_QUORUM_OPTIONS: Readonly<Filled<QuorumOptions>> = Object.freeze({
  nodeTimeoutMs: 50,
  retryDelayMs: 50,
  retryJitterMs: 50,
  maxInFlight: 256,
  releaseRetries: 2,
});

/**
 * Every option name of {@link LockstepOptions}: integrations that accept core's options among their
 * own (`LockstepModule.forRoot`) check names against it, so a new core option needs no second list.
 */
export const LOCKSTEP_OPTION_NAMES: readonly string[] = Object.freeze([
  'redis',
  'prefix',
  'requestTimeoutMs',
  'driftFactor',
  'onError',
  'quorum',
  'stats',
]);

/** Every option name of {@link QuorumOptions}. */
export const QUORUM_OPTION_NAMES: readonly string[] = Object.freeze(Object.keys(DEFAULT_QUORUM_OPTIONS));

/** Validated options. */
export interface ResolvedLockstepOptions {
  readonly clients: readonly RedisClient[];
  readonly quorum: boolean;
  readonly prefix: string;
  readonly requestTimeoutMs: number;
  readonly driftFactor: number;
  readonly onError: (error: unknown) => void;
  readonly quorumOptions: Filled<QuorumOptions>;
  readonly stats: boolean;
}

/** True if `value` looks like an ioredis `Redis` or `Cluster` client. */
export function isIoredisClient(value: unknown): value is RedisClient {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.defineCommand === 'function' && typeof v.duplicate === 'function' && typeof v.evalsha === 'function';
}

function isClusterClient(value: RedisClient): boolean {
  return (value as { isCluster?: boolean }).isCluster === true;
}

const CLIENT_HELP = 'an ioredis Redis or Cluster instance, or an array of ioredis Redis instances for quorum';

/** Validates Lockstep options and fills in defaults, before any I/O. */
export function resolveLockstepOptions(options: LockstepOptions): ResolvedLockstepOptions {
  const o = checkOptions('options', options);
  checkOptionNames(o, LOCKSTEP_OPTION_NAMES, 'Lockstep options', CORE_OPTION_PLACES);
  const redis = o.redis;
  let clients: RedisClient[];
  let quorum = false;
  if (Array.isArray(redis)) {
    quorum = true;
    if (redis.length === 0 || redis.length > 64) {
      throw new InvalidArgumentError(`Expected \`redis\` to hold 2 to 64 clients, got ${redis.length}`);
    }
    redis.forEach((client: unknown, i) => {
      if (isIoredisClient(client) && isClusterClient(client)) {
        throw new InvalidArgumentError(
          `Expected \`redis[${i}]\` to be an ioredis Redis instance, got an ioredis Cluster: quorum mode needs one ` +
            'standalone Redis client per independent server (N >= 3, an odd number). To lock on the Cluster ' +
            'itself, pass it alone as `redis` (not in an array).',
        );
      }
      if (!isIoredisClient(client)) {
        throw new InvalidArgumentError(
          `Expected \`redis[${i}]\` to be an ioredis Redis instance, got ${describe(client)}`,
        );
      }
    });
    if (new Set(redis).size !== redis.length) {
      throw new InvalidArgumentError('Expected `redis` to hold distinct clients (one per independent server)');
    }
    // redlock takes its one client in an array (`new Redlock([client])`): ported as is, that would be
    // quorum mode on one server, without fences or a queue.
    if (redis.length === 1) {
      throw new InvalidArgumentError(
        'Expected `redis` to hold 2 to 64 clients (quorum mode: one per independent server), got an array of 1 client. ' +
          'For one server, pass the client itself (`redis: client`, not `redis: [client]`): its locks have fences and a queue.',
      );
    }
    clients = [...redis];
  } else if (isIoredisClient(redis)) {
    clients = [redis];
  } else {
    throw new InvalidArgumentError(`Expected \`redis\` to be ${CLIENT_HELP}, got ${describe(redis)}`);
  }
  const q = checkOptions('quorum', o.quorum);
  assertKnownOptions(q, QUORUM_OPTION_NAMES, '`quorum` options');
  return {
    clients,
    quorum,
    prefix: checkPrefix(orDefault(o.prefix, DEFAULT_LOCKSTEP_OPTIONS.prefix)),
    requestTimeoutMs: checkInteger(
      'requestTimeoutMs',
      orDefault(o.requestTimeoutMs, DEFAULT_LOCKSTEP_OPTIONS.requestTimeoutMs),
      1,
      MAX_TIMER_MS,
    ),
    driftFactor: checkNumber('driftFactor', orDefault(o.driftFactor, DEFAULT_LOCKSTEP_OPTIONS.driftFactor), 0, 0.5),
    onError: o.onError === undefined ? () => undefined : checkFunction('onError', o.onError),
    stats: o.stats === undefined ? false : checkBoolean('stats', o.stats),
    quorumOptions: {
      nodeTimeoutMs: checkInteger(
        'quorum.nodeTimeoutMs',
        orDefault(q.nodeTimeoutMs, DEFAULT_QUORUM_OPTIONS.nodeTimeoutMs),
        1,
        60_000,
      ),
      retryDelayMs: checkInteger(
        'quorum.retryDelayMs',
        orDefault(q.retryDelayMs, DEFAULT_QUORUM_OPTIONS.retryDelayMs),
        0,
        60_000,
      ),
      retryJitterMs: checkInteger(
        'quorum.retryJitterMs',
        orDefault(q.retryJitterMs, DEFAULT_QUORUM_OPTIONS.retryJitterMs),
        0,
        60_000,
      ),
      maxInFlight: checkInteger(
        'quorum.maxInFlight',
        orDefault(q.maxInFlight, DEFAULT_QUORUM_OPTIONS.maxInFlight),
        1,
        100_000,
      ),
      releaseRetries: checkInteger(
        'quorum.releaseRetries',
        orDefault(q.releaseRetries, DEFAULT_QUORUM_OPTIONS.releaseRetries),
        0,
        10,
      ),
    },
  };
}
