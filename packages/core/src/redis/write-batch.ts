// Coalesces the commands Lockstep writes to one standalone connection in one tick into one socket
// write. Replies arrive in batches under load, and each continuation sends the next script, so
// many scripts are written in the same tick; a write system call each costs more client CPU than
// the script's whole JavaScript path. Same idea as ioredis' `enableAutoPipelining`; the user's own
// commands on the client in that tick share the write, in their order, and none waits past the tick.
import type { Socket } from 'node:net';
import type { RedisClient } from './scripts.js';

const corked = new WeakSet<Socket>();

function uncork(stream: Socket): void {
  corked.delete(stream);
  stream.uncork();
}

/**
 * Corks the socket of a standalone, connected `client` until the current tick ends (Node then
 * sends what was written meanwhile with one `writev`). A Cluster, or a client that is not ready
 * (ioredis queues its commands itself), is left alone.
 */
export function batchWrites(client: RedisClient): void {
  if ((client as { status?: string }).status !== 'ready') return;
  const stream = (client as { stream?: Socket }).stream;
  if (stream === undefined || corked.has(stream) || typeof stream.cork !== 'function') return;
  corked.add(stream);
  stream.cork();
  process.nextTick(uncork, stream);
}
