// Options of LockstepModule.forRoot(): the client (or a URL the module owns), core's settings and
// the HTTP answers to busy and outage errors.
import { InvalidArgumentError, LOCKSTEP_OPTION_NAMES, type LockstepOptions } from '@lockstep/core';
import type { Cluster, Redis } from 'ioredis';
import { checkInt, checkKeys, describe } from './validate.js';

/** How HTTP route handlers answer Lockstep errors (other contexts get the error itself). */
export interface LockstepHttpOptions {
  /**
   * Status when a `@Locked` route is busy (`onBusy: 'throw'`, or a `'wait'` that ran out).
   * @defaultValue 409
   */
  readonly lockedStatus?: number | undefined;
  /**
   * Status when a `@Limited` route is busy or its queue is full; sent with `Retry-After`.
   * @defaultValue 503
   */
  readonly limitedStatus?: number | undefined;
  /**
   * Status when Redis is unreachable, fails or loses a lease (`ERR_REDIS`, `ERR_QUORUM`,
   * `ERR_LEASE_LOST`, `ERR_CLOSED`).
   * @defaultValue 503
   */
  readonly outageStatus?: number | undefined;
  /**
   * Shortest `Retry-After`, in seconds, sent with `limitedStatus`.
   * @defaultValue 1
   */
  readonly retryAfterSeconds?: number | undefined;
  /**
   * Up to this many whole seconds, drawn uniformly per answer, are added to `retryAfterSeconds`, so
   * clients turned away together do not all come back in the same second (a herd that would be
   * turned away again). `0` sends exactly `retryAfterSeconds`.
   * @defaultValue 1 (with the default `retryAfterSeconds`, half the clients retry after 1 s, half after 2 s)
   */
  readonly retryAfterJitterSeconds?: number | undefined;
}

/**
 * Options of `LockstepModule.forRoot()` / `forRootAsync()`: core's {@link LockstepOptions}
 * (`prefix`, `requestTimeoutMs`, `driftFactor`, `onError`, `quorum`, `stats`) passed through to
 * `new Lockstep()`, plus the module's own.
 */
export interface LockstepModuleOptions extends Omit<LockstepOptions, 'redis'> {
  /**
   * An ioredis `Redis` or `Cluster` (or an array of independent clients for quorum locks), which the
   * module never quits; or a `redis://` URL, from which the module creates a client that it quits on
   * application shutdown, after closing Lockstep.
   */
  readonly redis: Redis | Cluster | readonly Redis[] | string;
  /** HTTP statuses for busy and outage errors. */
  readonly http?: LockstepHttpOptions | undefined;
  /**
   * On application shutdown, waits end (`ERR_ABORTED`), new calls are refused (a `'skip'` call is
   * skipped), and calls already running get this long, in ms, to finish and release their leases
   * before Lockstep closes.
   * @defaultValue 10_000
   */
  readonly shutdownTimeoutMs?: number | undefined;
}

/** Default of {@link LockstepModuleOptions.shutdownTimeoutMs}. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** {@link LockstepHttpOptions} with every status given (not `Required`, which keeps `| undefined`). */
export type ResolvedHttpOptions = { readonly [K in keyof LockstepHttpOptions]-?: number };

/** Defaults of {@link LockstepHttpOptions}. */
export const DEFAULT_HTTP_OPTIONS: ResolvedHttpOptions = Object.freeze({
  lockedStatus: 409,
  limitedStatus: 503,
  outageStatus: 503,
  retryAfterSeconds: 1,
  retryAfterJitterSeconds: 1,
});

const MODULE_KEYS = [...LOCKSTEP_OPTION_NAMES, 'http', 'shutdownTimeoutMs'];
const HTTP_KEYS = Object.keys(DEFAULT_HTTP_OPTIONS);

/** Validates the HTTP options and fills in defaults. */
export function resolveHttpOptions(where: string, http: unknown): ResolvedHttpOptions {
  const o = checkKeys(`${where} http`, http, HTTP_KEYS);
  return {
    lockedStatus: checkInt(where, 'http.lockedStatus', o.lockedStatus, 100, 599) ?? DEFAULT_HTTP_OPTIONS.lockedStatus,
    limitedStatus:
      checkInt(where, 'http.limitedStatus', o.limitedStatus, 100, 599) ?? DEFAULT_HTTP_OPTIONS.limitedStatus,
    outageStatus: checkInt(where, 'http.outageStatus', o.outageStatus, 100, 599) ?? DEFAULT_HTTP_OPTIONS.outageStatus,
    retryAfterSeconds:
      checkInt(where, 'http.retryAfterSeconds', o.retryAfterSeconds, 0, 86_400) ??
      DEFAULT_HTTP_OPTIONS.retryAfterSeconds,
    retryAfterJitterSeconds:
      checkInt(where, 'http.retryAfterJitterSeconds', o.retryAfterJitterSeconds, 0, 3_600) ??
      DEFAULT_HTTP_OPTIONS.retryAfterJitterSeconds,
  };
}

/**
 * A connection string as an error may show it: whatever precedes its last `@` after the last `/`
 * before it (a user name and password) becomes `…`, so a malformed URL never puts its password
 * in the startup logs.
 */
function withoutCredentials(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const start = url.lastIndexOf('/', at) + 1;
  return `${url.slice(0, start)}…${url.slice(at)}`;
}

/** Checks the module options (core checks its own part when the Lockstep is created). */
export function checkModuleOptions(options: unknown): LockstepModuleOptions {
  const where = 'LockstepModule';
  const o = checkKeys(where, options, MODULE_KEYS);
  const redis = o.redis;
  if (typeof redis === 'string' && !/^rediss?:\/\//.test(redis)) {
    throw new InvalidArgumentError(
      `${where}: expected \`redis\` to be a client or a redis:// URL, got ${describe(withoutCredentials(redis))}`,
    );
  }
  if (redis === undefined || redis === null) {
    throw new InvalidArgumentError(`${where}: \`redis\` is required (an ioredis client or a redis:// URL)`);
  }
  checkInt(where, 'shutdownTimeoutMs', o.shutdownTimeoutMs, 0);
  // Checked here, not left to core: it is attached to a module-owned client before core sees it.
  if (o.onError !== undefined && typeof o.onError !== 'function') {
    throw new InvalidArgumentError(`${where}: expected \`onError\` to be a function, got ${describe(o.onError)}`);
  }
  return o as unknown as LockstepModuleOptions;
}
