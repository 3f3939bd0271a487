// Real HTTP on loopback: start an app, send requests with http.request, destroy them mid-flight.
import http, { type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';

const servers = new Set<Server>();

afterAll(async () => {
  await Promise.all([...servers].map((s) => closeServer(s)));
});

/** Listens on a free loopback port; closed after the file. */
export async function listen(handler: RequestListener): Promise<{ server: Server; port: number }> {
  const server = http.createServer(handler);
  servers.add(server);
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 2_048 }, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Closes a server and every connection it still has. */
export async function closeServer(server: Server): Promise<void> {
  servers.delete(server);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A finished response. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Connections are never reused, so destroying one request never touches another. */
export const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/**
 * Sends a request and resolves with the whole response. The promise is marked handled: a test that
 * fails while one is still in flight would otherwise report the socket its afterAll closes as a second,
 * misleading unhandled "socket hang up"; a test that awaits it still sees the rejection.
 */
export function request(port: number, path: string, method = 'GET'): Promise<Reply> {
  const reply = send(port, path, method);
  reply.catch(() => undefined);
  return reply;
}

function send(port: number, path: string, method: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on('data', (c: Uint8Array) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request the test can destroy at any time; `response` resolves when headers arrive. */
export interface OpenRequest {
  readonly response: Promise<IncomingMessage>;
  /** Resolves once the socket is closed. */
  destroy(): Promise<void>;
}

/** Sends a request without waiting for it; `destroy()` closes its socket (a client that leaves). */
export function openRequest(port: number, path: string): OpenRequest {
  const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', agent });
  req.on('error', () => undefined);
  const response = new Promise<IncomingMessage>((resolve) => req.on('response', resolve));
  response.catch(() => undefined);
  req.end();
  return {
    response,
    destroy: () =>
      new Promise<void>((resolve) => {
        if (req.destroyed && (req.socket === null || req.socket.destroyed)) return resolve();
        req.once('close', () => resolve());
        req.destroy();
      }),
  };
}
