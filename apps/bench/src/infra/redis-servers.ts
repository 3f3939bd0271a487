// Private redis-server processes for one benchmark run, from the shared harness (@lockstep/test-utils):
// started fresh on free loopback ports, optionally pinned to CPUs, stopped by their own pid.
import { type RedisServer as HarnessServer, startRedisServer } from '@lockstep/test-utils';

export { redisServerVersion } from '@lockstep/test-utils';

/** One redis-server this benchmark started. */
export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  readonly url: string;
}

/** Starts and stops the servers of one benchmark run. */
export class RedisServers {
  readonly #running: HarnessServer[] = [];

  /**
   * @param cpu - CPU list to pin the servers to with taskset (undefined: no pinning)
   */
  constructor(private readonly cpu: string | undefined) {}

  /** Starts one server with no persistence in a fresh temp dir, and waits until it answers PING. */
  async start(): Promise<RedisServer> {
    const server = await startRedisServer(this.cpu === undefined ? {} : { cpu: this.cpu });
    this.#running.push(server);
    const pid = server.pid;
    if (pid === undefined) throw new Error(`redis-server on port ${server.port} has no pid`);
    return { port: server.port, pid, url: server.url };
  }

  /** Shuts every server down (SHUTDOWN NOSAVE, then our own pid if needed) and waits for the ports to close. */
  async stopAll(): Promise<void> {
    const servers = this.#running.splice(0);
    await Promise.all(servers.map((server) => server.stop()));
  }
}
