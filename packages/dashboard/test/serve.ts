// Serves a dashboard from a real Express app on a loopback port.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { type DashboardOptions, lockstepDashboard } from '../src/index.js';

/** A running app; `url` is the dashboard's mount URL (with its trailing slash). */
export interface Served {
  readonly url: string;
  readonly origin: string;
  /** The HTTP server, for tests of a graceful `server.close()`. */
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Mounts the dashboard at `/admin/locks` behind a stand-in auth middleware, like a host app would,
 * or behind `before` (a host middleware under test).
 */
export async function serveDashboard(options: DashboardOptions, before?: RequestHandler): Promise<Served> {
  const app = express();
  app.use('/admin/locks', before ?? ((_req, _res, next) => next()), lockstepDashboard(options));
  app.get('/admin/locks/after', (_req, res) => {
    res.send('next() reached the app');
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    server,
    url: `${origin}/admin/locks/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
