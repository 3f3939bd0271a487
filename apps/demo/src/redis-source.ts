// Finds a Redis for the demo: REDIS_URL if set, else a private redis-server from PATH on a free port.
import { redisServerVersion, startRedisServer } from '@lockstep/test-utils';

/** Where the demo's Redis is, and how to stop it if we started it. */
export interface RedisSource {
  readonly url: string;
  readonly description: string;
  /** The pid of the redis-server we started, if we started one. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

const HELP = `No Redis available. Either:
  - set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379 pnpm demo
  - install redis-server: sudo apt-get install -y redis-server   (Debian/Ubuntu)
                          brew install redis                     (macOS)
  - or run one in Docker: docker compose up -d   (from the repository root)`;

/** REDIS_URL, or a private redis-server; exits with instructions when neither can be had. */
export async function findRedis(): Promise<RedisSource> {
  const url = process.env.REDIS_URL;
  if (url) return { url, description: `REDIS_URL (${url})`, pid: undefined, stop: async () => undefined };
  if (redisServerVersion() === undefined) {
    console.error(HELP);
    process.exit(2);
  }
  // Its own process group: a Ctrl-C in the terminal reaches the demo, which stops the API and the
  // workers first (they need Redis to close cleanly), then this server, by pid.
  const server = await startRedisServer({ detached: true });
  return {
    url: server.url,
    description: `a private redis-server on 127.0.0.1:${server.port} (set REDIS_URL to use your own)`,
    pid: server.pid,
    stop: () => server.stop(),
  };
}
