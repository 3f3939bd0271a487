// Loopback ports: the one place in the repository that finds a free port or probes one.
import net from 'node:net';

/** The address every server of the harness binds and every probe connects to. */
export const LOOPBACK = '127.0.0.1';

/**
 * Finds a free TCP port on loopback by binding port 0 and closing it again. The port is free when
 * asked; a caller racing other processes for it retries on a bind failure (as `RedisServer.start` does).
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true when something accepts TCP connections on the loopback port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
