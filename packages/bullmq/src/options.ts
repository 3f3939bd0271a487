// Options of limitProcessor / JobGate: defaults, and validation once, before any I/O.
import { assertKnownOptions, describeValue, InvalidArgumentError, type Lockstep } from '@lockstep/core';
import type { Job } from 'bullmq';
import type { RedisClient } from './scripts.js';

/** Highest priority number core semaphores accept (priorities are integers in [-2^20, 2^20]). */
export const MAX_PRIORITY = 1_048_576;

/** A BullMQ job of any data, result and name types. */
// biome-ignore lint/suspicious/noExplicitAny: Job's own type parameters default to any; any Job fits.
export type GateJob = Job<any, any, string>;

/** Options of {@link limitProcessor} and {@link JobGate}. */
export interface JobGateOptions<J extends GateJob = GateJob> {
  /** The `Lockstep` instance (single Redis or Cluster) whose semaphores hold the permits. */
  readonly lockstep: Lockstep;
  /** The key a job is limited by, e.g. `` (job) => `exports:${job.data.tenantId}` ``: one semaphore per key and queue. */
  readonly key: (job: J) => string;
  /** Jobs of one key running at once across every worker: a number, or a function of the key. */
  readonly limit: number | ((key: string) => number);
  /**
   * A job's priority within its key: a number (higher first) or a class name from `priorities`.
   * Decides who gets a freed permit first; equal priorities go in the order they parked.
   * @defaultValue 0, or the class named `default` if there is one
   */
  readonly priority?: ((job: J) => number | string) | undefined;
  /** Named priority classes, highest first, as for core semaphores: `['critical', 'bulk']`. */
  readonly priorities?: readonly string[] | undefined;
  /**
   * Lease length of a permit in ms. It is auto-extended while the job runs; a worker killed with
   * SIGKILL gives its permits back within this time.
   * @defaultValue 30_000 (BullMQ's default `lockDuration`)
   */
  readonly ttlMs?: number | undefined;
  /**
   * A parked job runs again after this many ms even if no wake-up came, so a lost wake-up costs at
   * most this delay.
   * @defaultValue 5_000
   */
  readonly fallbackDelayMs?: number | undefined;
  /**
   * How long a permit freed for a woken job is held back for it (others of the key park meanwhile);
   * also how long the woken job waits for that permit. After it, the permit is anyone's.
   * @defaultValue 5_000
   */
  readonly reserveMs?: number | undefined;
  /**
   * How long, in ms, a permit freed by a finishing job is kept in this process for the parked job it
   * woke, when jobs of the key were already parked as the finishing job started (a backlog). A woken
   * job that starts in this process within it takes the permit over: no release, no new acquire,
   * and no moment where the permit is free. One that starts in another process gets the permit when
   * the window ends (it is reserved for it meanwhile, as always). 0 turns this off: the permit is
   * freed at once and the woken job acquires it. At most `reserveMs`.
   * @defaultValue 50
   */
  readonly handoffMs?: number | undefined;
  /**
   * Prefix of the parking keys' hash tag: `{prefix:bq:<queue>:<key>}:p`.
   * @defaultValue 'lockstep'
   */
  readonly prefix?: string | undefined;
  /** Errors of background work (wake-ups that failed); never thrown. */
  readonly onError?: ((error: unknown) => void) | undefined;
  /**
   * The BullMQ `Queue` (or `Worker`) of the gated jobs. A woken job is promoted by id through it,
   * with BullMQ's public `Job` API. Without it the gate uses the running job's own queue handle,
   * which BullMQ 6 keeps in a protected field (it works, but is not public API). A job of another
   * queue then fails with `ERR_INVALID_ARGUMENT`.
   * @defaultValue the running job's queue handle
   */
  readonly queue?: GateQueue | undefined;
  /**
   * The `maxStartedAttempts` you gave the `Worker`, if any. BullMQ counts every start, parks
   * included, and fails a job started more often without running it. A job whose next start would
   * go over it is not parked again: it waits for a permit in its worker slot (in core's queue, by
   * priority), for up to 12 × `fallbackDelayMs` or until BullMQ cancels it, and is parked only if
   * none came.
   * @defaultValue none (jobs always park)
   */
  readonly maxStartedAttempts?: number | undefined;
}

/** What BullMQ's `Job` needs of a queue to act on a job by id: a `Queue` or a `Worker` fits. */
export type GateQueue = ConstructorParameters<typeof Job>[0];

/**
 * `onError` as the gate calls it: what it throws is ignored. It is told of background failures (a
 * wake-up, a release); one that throws must not fail the job that finished nor reject unobserved.
 */
function ignoringThrows(onError: (error: unknown) => void): (error: unknown) => void {
  return (error) => {
    try {
      onError(error);
    } catch {
      // ignored, see above
    }
  };
}

/** Defaults of {@link JobGateOptions}. */
export const DEFAULT_JOB_GATE_OPTIONS = Object.freeze({
  ttlMs: 30_000,
  fallbackDelayMs: 5_000,
  reserveMs: 5_000,
  handoffMs: 50,
  prefix: 'lockstep',
});

/** Options after validation. */
export interface ResolvedJobGateOptions<J extends GateJob> {
  readonly lockstep: Lockstep;
  readonly client: RedisClient;
  readonly key: (job: J) => string;
  readonly limit: (key: string) => number;
  readonly priority: ((job: J) => number | string) | undefined;
  readonly priorities: readonly string[] | undefined;
  readonly classes: ReadonlyMap<string, number>;
  readonly ttlMs: number;
  readonly fallbackDelayMs: number;
  readonly reserveMs: number;
  readonly handoffMs: number;
  readonly prefix: string;
  readonly onError: (error: unknown) => void;
  readonly queue: GateQueue | undefined;
  readonly maxStartedAttempts: number | undefined;
}

const KNOWN = [
  'lockstep',
  'key',
  'limit',
  'priority',
  'priorities',
  'ttlMs',
  'fallbackDelayMs',
  'reserveMs',
  'handoffMs',
  'prefix',
  'onError',
  'queue',
  'maxStartedAttempts',
] as const;

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `Expected \`${option}\` to be an integer from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

function fn<T>(option: string, value: unknown): T {
  if (typeof value !== 'function') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a function, got ${describeValue(value)}`);
  }
  return value as T;
}

/** Checks a limit (given or returned by `limit(key)`). */
export function checkLimit(value: unknown, option = 'limit'): number {
  return integer(option, value, 1, 1_000_000);
}

function classesOf(priorities: unknown): ReadonlyMap<string, number> {
  const classes = new Map<string, number>();
  if (priorities === undefined) return classes;
  if (!Array.isArray(priorities) || priorities.length === 0) {
    throw new InvalidArgumentError(
      `Expected \`priorities\` to be a non-empty array of class names, got ${describeValue(priorities)}`,
    );
  }
  priorities.forEach((name: unknown, index) => {
    if (typeof name !== 'string' || name.length === 0 || classes.has(name)) {
      throw new InvalidArgumentError(
        `Expected \`priorities\` to hold distinct non-empty names, got ${describeValue(name)} at ${index}`,
      );
    }
    classes.set(name, priorities.length - 1 - index);
  });
  return classes;
}

/** Validates the options and fills in defaults. */
export function resolveJobGateOptions<J extends GateJob>(options: JobGateOptions<J>): ResolvedJobGateOptions<J> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`Expected options to be an object, got ${describeValue(options)}`);
  }
  assertKnownOptions(options, KNOWN, 'limitProcessor / JobGate options');
  const o = options;
  // Duck-typed, not `instanceof`: an application may load @lockstep/core's CommonJS build while this
  // package loads its ES module build (or two copies), and both Lockstep classes are the real thing.
  const candidate = o.lockstep as Partial<Lockstep> | null | undefined;
  if (typeof candidate?.semaphore !== 'function' || !('client' in candidate)) {
    throw new InvalidArgumentError(`Expected \`lockstep\` to be a Lockstep instance, got ${describeValue(candidate)}`);
  }
  const client = o.lockstep.client;
  if (!client)
    throw new InvalidArgumentError('Expected `lockstep` to use a single Redis or a Cluster, not quorum mode');
  const limit =
    typeof o.limit === 'function'
      ? (o.limit as (key: string) => number)
      : (
          (n: number) => () =>
            n
        )(checkLimit(o.limit));
  const prefix = o.prefix ?? DEFAULT_JOB_GATE_OPTIONS.prefix;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new InvalidArgumentError(
      `Expected \`prefix\` to be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-", got ${describeValue(prefix)}`,
    );
  }
  const reserveMs = integer('reserveMs', o.reserveMs ?? DEFAULT_JOB_GATE_OPTIONS.reserveMs, 10, 600_000);
  return {
    lockstep: o.lockstep,
    client,
    key: fn('key', o.key),
    limit,
    priority: o.priority === undefined ? undefined : fn('priority', o.priority),
    priorities: o.priorities,
    classes: classesOf(o.priorities),
    ttlMs: integer('ttlMs', o.ttlMs ?? DEFAULT_JOB_GATE_OPTIONS.ttlMs, 100, 2_147_483_647),
    fallbackDelayMs: integer(
      'fallbackDelayMs',
      o.fallbackDelayMs ?? DEFAULT_JOB_GATE_OPTIONS.fallbackDelayMs,
      10,
      86_400_000,
    ),
    reserveMs,
    handoffMs: checkHandoff(o.handoffMs, reserveMs),
    prefix,
    onError: o.onError === undefined ? () => undefined : ignoringThrows(fn('onError', o.onError)),
    queue: checkQueue(o.queue),
    maxStartedAttempts:
      o.maxStartedAttempts === undefined
        ? undefined
        : integer('maxStartedAttempts', o.maxStartedAttempts, 1, 2_147_483_647),
  };
}

/** `handoffMs`: 0 (off) up to `reserveMs`, so the kept permit never outlives its reservation. */
function checkHandoff(value: unknown, reserveMs: number): number {
  if (value === undefined) return Math.min(DEFAULT_JOB_GATE_OPTIONS.handoffMs, reserveMs);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > reserveMs) {
    throw new InvalidArgumentError(
      `Expected \`handoffMs\` to be an integer from 0 to \`reserveMs\` (${reserveMs}), got ${describeValue(value)}`,
    );
  }
  return value;
}

function checkQueue(queue: unknown): GateQueue | undefined {
  if (queue === undefined) return undefined;
  const q = queue as Partial<GateQueue> | null;
  if (typeof q !== 'object' || q === null || typeof q.qualifiedName !== 'string' || typeof q.toKey !== 'function') {
    throw new InvalidArgumentError(
      `Expected \`queue\` to be a BullMQ Queue or Worker, got ${q === null ? 'null' : typeof q}`,
    );
  }
  return q as GateQueue;
}

/** A job's priority as a number (for the parking order). */
export function priorityNumber(value: number | string, classes: ReadonlyMap<string, number>): number {
  if (typeof value === 'string') {
    const n = classes.get(value);
    if (n === undefined) {
      throw new InvalidArgumentError(`Unknown priority class ${JSON.stringify(value)} from \`priority(job)\``);
    }
    return n;
  }
  return integer('priority(job)', value, -MAX_PRIORITY + 1, MAX_PRIORITY - 2);
}
