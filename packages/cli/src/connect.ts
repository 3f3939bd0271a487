// Opens the ioredis client the command runs on, failing fast (exit 3) when Redis is unreachable.
import { LockstepAdmin } from '@lockstep/core';
import { Cluster, Redis, ReplyError } from 'ioredis';
import { CliError, EXIT_CODES } from './exit-codes.js';

/** Connection options shared by every command. */
export interface ConnectionOptions {
  /** `redis://` or `rediss://` URL; for a Cluster, any node. */
  readonly redis: string;
  readonly cluster: boolean;
  readonly prefix: string;
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

/** A connected client and an admin on it; `close()` quits the client. */
export interface Connection {
  readonly client: Redis | Cluster;
  readonly admin: LockstepAdmin;
  close(): Promise<void>;
}

/**
 * Connects to Redis (or a Cluster through one of its nodes) without retrying: the CLI reports an
 * outage at once (exit 3) instead of hanging, and a server that accepts but does not answer within
 * `timeoutMs` as unreachable too.
 */
export async function connect(options: ConnectionOptions, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Connection> {
  const url = parseUrl(options.redis);
  // ioredis reads the database from the path, and when SELECT fails it stays on database 0 with
  // only an 'error' event: `ls` would list database 0 as if it were the one asked for.
  const db = options.cluster ? '' : decodeURIComponent(url.pathname.slice(1));
  if (db !== '' && !/^[0-9]{1,9}$/.test(db)) {
    throw new CliError(EXIT_CODES.usage, `--redis: database ${JSON.stringify(db)} is not a number`);
  }
  const common = { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 1 };
  let client: Redis | Cluster;
  if (options.cluster) {
    const tls = url.protocol === 'rediss:' ? { tls: {} } : {};
    client = new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
      lazyConnect: true,
      clusterRetryStrategy: () => null,
      redisOptions: {
        ...common,
        ...tls,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      },
    });
  } else {
    client = new Redis(options.redis, { ...common, retryStrategy: () => null });
  }
  // The socket's error (`connect ECONNREFUSED ...`) says why; connect() itself then rejects with
  // ioredis's "Connection is closed." once it gives up, which does not.
  let cause: unknown;
  client.on('error', (err: unknown) => {
    cause ??= err;
  });
  // ioredis's connectTimeout covers the TCP connection only: the handshake after it (AUTH, the
  // ready check) waits for an answer forever.
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), silence]);
  } catch (err) {
    client.disconnect();
    clearTimeout(timer);
    throw unreachable(url, cause ?? err);
  }
  if (db !== '') {
    try {
      await Promise.race([client.select(Number(db)), silence]);
    } catch (err) {
      client.disconnect();
      clearTimeout(timer);
      // An error reply is a bad value (exit 2); no answer is an outage (exit 3).
      if (!(err instanceof ReplyError)) throw unreachable(url, err);
      throw new CliError(EXIT_CODES.usage, `--redis: database ${db} cannot be selected: ${(err as Error).message}`);
    }
  }
  clearTimeout(timer);
  let admin: LockstepAdmin;
  try {
    admin = new LockstepAdmin({ redis: client, prefix: options.prefix });
  } catch (err) {
    client.disconnect();
    throw new CliError(EXIT_CODES.usage, err instanceof Error ? err.message : String(err));
  }
  return {
    client,
    admin,
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
