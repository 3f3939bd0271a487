// Opens the ioredis client the command runs on, failing fast (exit 3) when Redis is unreachable, and
// checks that `--cluster` matches the server.
import { isRedisRefusal, LockstepAdmin } from '@lockstep/core';
import { Cluster, Redis, ReplyError } from 'ioredis';
import { notACluster, refuseClusterNode } from './cluster-mode.js';
import { CliError, EXIT_CODES } from './exit-codes.js';
import { type ArmedRetry, retryOnceConnected } from './reconnect.js';

/** Connection options shared by every command. */
export interface ConnectionOptions {
  /** `redis://` or `rediss://` URL; for a Cluster, any node. */
  readonly redis: string;
  readonly cluster: boolean;
  readonly prefix: string;
  /**
   * Reconnect after an outage once the first connection succeeded (`watch`); the first connection
   * still fails fast. @defaultValue false
   */
  readonly reconnect?: boolean;
}

const CONNECT_TIMEOUT_MS = 5_000;

/** The URL as it may be shown: everything up to the last `@` (user and password) masked. */
function redacted(url: string): string {
  return JSON.stringify(url.replace(/^([^/]*\/\/)?.*@/s, '$1***@'));
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(EXIT_CODES.usage, `--redis: not a URL: ${redacted(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new CliError(EXIT_CODES.usage, `--redis: expected a redis:// or rediss:// URL, got ${redacted(url)}`);
  }
  return parsed;
}

function unreachable(url: URL, err: unknown): CliError {
  const reason = err instanceof Error ? err.message : String(err);
  // Refused credentials are a bad --redis value (exit 2), not an outage.
  if (/^(WRONGPASS|NOAUTH)\b/.test(reason)) {
    const hint = url.password ? 'refused the credentials' : 'needs a password (redis://user:password@host)';
    return new CliError(EXIT_CODES.usage, `--redis: Redis at ${url.host} ${hint}: ${reason}`);
  }
  return new CliError(EXIT_CODES.unreachable, `Redis at ${url.host} is unreachable: ${reason}`);
}

/** A connected client and an admin on it. */
export interface Connection {
  readonly client: Redis | Cluster;
  readonly admin: LockstepAdmin;
  /** `host:port` of the `--redis` URL, as messages name it (never the credentials). */
  readonly where: string;
  /**
   * Undefined while the client is connected and ready; else why not: its latest connection error
   * (`connect ECONNREFUSED …`), or its state (`the connection is reconnecting`).
   */
  problem(): string | undefined;
  /**
   * The client's latest connection error while it is not ready, when that error is Redis refusing
   * the user (`WRONGPASS`: the password was changed since), else undefined.
   */
  refusal(): Error | undefined;
  /** Quits the client (at most {@link CLOSE_TIMEOUT_MS} waiting for Redis), then disconnects it. */
  close(): Promise<void>;
}

/** Longest wait for Redis to acknowledge QUIT when a command ends, ms. */
export const CLOSE_TIMEOUT_MS = 1_000;

function createClient(url: URL, options: ConnectionOptions, timeoutMs: number, retry: ArmedRetry): Redis | Cluster {
  const common = { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 1 };
  if (!options.cluster) return new Redis(options.redis, { ...common, retryStrategy: retry.strategy });
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
    lazyConnect: true,
    clusterRetryStrategy: retry.strategy,
    redisOptions: {
      ...common,
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    },
  });
}

/** The database of the URL's path ('' for none), checked before any I/O. */
function databaseOf(url: URL, cluster: boolean): string {
  // ioredis reads the database from the path, and when SELECT fails it stays on database 0 with
  // only an 'error' event: `ls` would list database 0 as if it were the one asked for.
  const db = cluster ? '' : decodeURIComponent(url.pathname.slice(1));
  if (db !== '' && !/^[0-9]{1,9}$/.test(db)) {
    throw new CliError(EXIT_CODES.usage, `--redis: database ${JSON.stringify(db)} is not a number`);
  }
  return db;
}

/** Connects, selects the database and checks the Cluster mode, all within `timeoutMs`. */
async function handshake(client: Redis | Cluster, url: URL, db: string, timeoutMs: number): Promise<void> {
  // The socket's error (`connect ECONNREFUSED ...`) says why; connect() itself then rejects with
  // ioredis's "Connection is closed." once it gives up, which does not.
  let cause: unknown;
  const first = (err: unknown) => {
    cause ??= err;
  };
  client.on('error', first);
  // ioredis's connectTimeout covers the TCP connection only: the handshake after it (AUTH, the
  // ready check) waits for an answer forever.
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    try {
      await Promise.race([client.connect(), silence]);
    } catch (err) {
      throw notACluster(url.host, cause ?? err) ?? unreachable(url, cause ?? err);
    }
    if (db !== '') await Promise.race([select(client, url, db), silence]);
    if (client instanceof Redis) await Promise.race([refuseClusterNode(client, url.host), silence]);
  } catch (err) {
    client.disconnect();
    throw err instanceof CliError ? err : unreachable(url, err);
  } finally {
    clearTimeout(timer);
    client.off('error', first);
  }
}

async function select(client: Redis | Cluster, url: URL, db: string): Promise<void> {
  try {
    await client.select(Number(db));
  } catch (err) {
    // An error reply is a bad value (exit 2); no answer is an outage (exit 3).
    if (!(err instanceof ReplyError)) throw unreachable(url, err);
    throw new CliError(EXIT_CODES.usage, `--redis: database ${db} cannot be selected: ${(err as Error).message}`);
  }
}

/**
 * Why the client is not ready (its latest connection error, else its status), or undefined when it
 * is; and that error when it is a refusal of the user.
 */
function problems(client: Redis | Cluster): Pick<Connection, 'problem' | 'refusal'> {
  let latest: Error | undefined;
  // Also what keeps ioredis from printing "Unhandled error event" while it reconnects.
  client.on('error', (err: unknown) => {
    latest = err instanceof Error ? err : new Error(String(err));
  });
  client.on('ready', () => {
    latest = undefined;
  });
  const ready = () => client.status === 'ready';
  return {
    problem: () => (ready() ? undefined : (latest?.message ?? `the connection is ${client.status}`)),
    refusal: () => (!ready() && isRedisRefusal(latest) ? latest : undefined),
  };
}

async function quit(client: Redis | Cluster): Promise<void> {
  // A server that is down or stalled would keep QUIT (and the command) waiting.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
  });
  if (client.status === 'ready') await Promise.race([client.quit().catch(() => undefined), late]);
  clearTimeout(timer);
  client.disconnect();
}

/**
 * Connects to Redis (or a Cluster through one of its nodes) without retrying: the CLI reports an
 * outage at once (exit 3) instead of hanging, and a server that accepts but does not answer within
 * `timeoutMs` as unreachable too. With `reconnect`, the client then reconnects after any later
 * outage, until closed.
 *
 * @throws CliError (usage) for a bad URL, database or prefix, credentials Redis refuses, or
 * `--cluster` not matching the server; (unreachable) when Redis cannot be reached
 */
export async function connect(options: ConnectionOptions, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Connection> {
  const url = parseUrl(options.redis);
  const db = databaseOf(url, options.cluster);
  const retry = retryOnceConnected();
  const client = createClient(url, options, timeoutMs, retry);
  let admin: LockstepAdmin;
  try {
    // Checks the prefix (no I/O) before Redis is asked anything.
    admin = new LockstepAdmin({ redis: client, prefix: options.prefix });
  } catch (err) {
    client.disconnect();
    throw new CliError(EXIT_CODES.usage, err instanceof Error ? err.message : String(err));
  }
  const state = problems(client);
  await handshake(client, url, db, timeoutMs);
  if (options.reconnect) retry.arm();
  return { client, admin, where: url.host, ...state, close: () => quit(client) };
}
