// Clients for tests of bad input: `lazyConnect` to port 1, so any command would show as a
// connection. After each test every one must still be unconnected (the check ran before any I/O).
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, expect } from 'vitest';

/**
 * Registers the after-each check in the calling file and returns a factory of lazy clients: each
 * never connects unless a command is sent, and is checked and closed after each test.
 */
export function lazyClients(): (options?: RedisOptions) => Redis {
  const clients: Redis[] = [];
  afterEach(() => {
    // Nothing was sent: the lazy clients never even connected.
    for (const c of clients) expect(c.status).toBe('wait');
    for (const c of clients) c.disconnect();
    clients.length = 0;
  });
  return (options = {}) => {
    const client = new Redis({ port: 1, lazyConnect: true, ...options });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };
}
