// Clients for the servers the global setup started; every client made here is quit after the file.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { afterAll, inject } from 'vitest';
import './context-types.js';

const clients = new Set<Redis | Cluster>();

afterAll(async () => {
  await Promise.all([...clients].map((c) => c.quit().catch(() => c.disconnect())));
  clients.clear();
});

/** Port of the shared standalone server. */
export function standalonePort(): number {
  return inject('standalonePort');
}

/** Ports of the five shared independent servers. */
export function quorumPorts(): number[] {
  return inject('quorumPorts');
}

/** A new client for the shared standalone server, quit after the file. */
export function standaloneClient(options: RedisOptions = {}): Redis {
  const client = new Redis(standalonePort(), '127.0.0.1', options);
  client.on('error', () => undefined);
  clients.add(client);
  return client;
}

/** A new Cluster client for the shared cluster, quit after the file. */
export function clusterClient(options: ConstructorParameters<typeof Cluster>[1] = {}): Cluster {
  const nodes = inject('clusterPorts').map((port) => ({ host: '127.0.0.1', port }));
  const client = new Cluster(nodes, options);
  client.on('error', () => undefined);
  clients.add(client);
  return client;
}

/** New clients for the five independent servers, quit after the file. */
export function quorumClients(options: RedisOptions = {}): Redis[] {
  return quorumPorts().map((port) => {
    const client = new Redis(port, '127.0.0.1', options);
    client.on('error', () => undefined);
    clients.add(client);
    return client;
  });
}
