// The ioredis clients a library runs on in one process: one connection per server, as an
// application would have.
import { Redis } from 'ioredis';

/** Opens one connection per url and waits until each is ready. */
export async function openClients(urls: readonly string[]): Promise<Redis[]> {
  const clients = urls.map((url) => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 }));
  await Promise.all(clients.map((client) => client.connect()));
  return clients;
}

export async function closeClients(clients: readonly Redis[]): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    }),
  );
}
