// The mountable (req, res, next) handler: the static page, its JSON endpoints, Server-Sent Events
// and (only with allowActions) the force-release action.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLockstepError, type NameKind } from '@lockstep/core';
import { ASSETS } from './assets.generated.js';
import { readJson, relativeUrl, SECURITY_HEADERS, sendJson } from './http.js';
import { type DashboardOptions, type ResolvedDashboardOptions, resolveDashboardOptions } from './options.js';
import { parseSelection, type Selection, type Snapshot, takeSnapshot } from './snapshot.js';

/** A Connect/Express-style handler; `next` is called for paths the dashboard does not serve. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

function sendError(res: ServerResponse, err: unknown): void {
  if (isLockstepError(err, 'ERR_INVALID_ARGUMENT') || err instanceof RangeError || err instanceof SyntaxError) {
    sendJson(res, 400, { error: { code: 'ERR_INVALID_ARGUMENT', message: (err as Error).message } });
  } else if (isLockstepError(err, 'ERR_REDIS')) {
    sendJson(res, 503, { error: { code: 'ERR_REDIS', message: err.message } });
  } else {
    sendJson(res, 500, { error: { code: 'ERR_INTERNAL', message: 'internal error' } });
  }
}

/** The static file `file`, if the page has one by that name (own keys only: never `constructor`). */
function assetOf(file: string) {
  return Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
}

function serveAsset(req: IncomingMessage, res: ServerResponse, file: string): void {
  const asset = assetOf(file);
  if (!asset) return;
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, { ...SECURITY_HEADERS, ETag: asset.etag });
    res.end();
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': asset.type,
    'Cache-Control': 'no-cache',
    ETag: asset.etag,
    'Content-Length': Buffer.byteLength(asset.body),
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

async function streamEvents(
  o: ResolvedDashboardOptions,
  req: IncomingMessage,
  res: ServerResponse,
  sel: Selection | undefined,
): Promise<void> {
  // The first snapshot before the headers: a bad selection (a name too long) is a 400, which an
  // EventSource does not retry, instead of a stream of failures every interval forever.
  let first: (() => Promise<Snapshot>) | undefined;
  try {
    const snapshot = await takeSnapshot(o.admin, sel);
    first = async () => snapshot;
  } catch (err) {
    if (isLockstepError(err, 'ERR_INVALID_ARGUMENT')) throw err;
    first = async () => {
      throw err;
    };
  }
  if (req.destroyed || res.destroyed) return;
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let open = true;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    open = false;
    if (timer) clearTimeout(timer);
  };
  req.on('close', stop);
  res.on('close', stop);
  // A stream never goes idle, so server.close() (Nest's app.close(), a graceful shutdown) would
  // wait for it forever: once the server stops listening, end it (the page reconnects elsewhere).
  const server = (req.socket as { server?: { listening?: boolean } } | null)?.server;
  const closing = () => server?.listening === false;
  const finish = () => {
    stop();
    res.end();
    res.socket?.end();
  };
  const tick = async () => {
    if (!open) return;
    if (closing()) return finish();
    try {
      const take = first ?? (() => takeSnapshot(o.admin, sel));
      first = undefined;
      const snapshot = await take();
      if (open) res.write(`event: update\ndata: ${JSON.stringify(snapshot)}\n\n`);
    } catch (err) {
      const message = isLockstepError(err) ? err.message : 'internal error';
      const code = isLockstepError(err) ? err.code : 'ERR_INTERNAL';
      if (open) res.write(`event: failure\ndata: ${JSON.stringify({ code, message })}\n\n`);
    }
    if (open && closing()) finish();
    else if (open) timer = setTimeout(tick, o.intervalMs);
  };
  await tick();
}

async function forceRelease(o: ResolvedDashboardOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!o.allowActions) {
    sendJson(res, 403, {
      error: { code: 'DASHBOARD_ACTIONS_DISABLED', message: 'actions are disabled (allowActions: false)' },
    });
    return;
  }
  // A JSON body and a custom header: a cross-site form or image cannot send this without a CORS
  // preflight, which this handler never grants.
  if (
    !String(req.headers['content-type'] ?? '').startsWith('application/json') ||
    req.headers['x-lockstep-action'] !== '1'
  ) {
    sendJson(res, 400, {
      error: { code: 'ERR_INVALID_ARGUMENT', message: 'expected a JSON body and X-Lockstep-Action: 1' },
    });
    return;
  }
  const body = (await readJson(req)) as { kind?: unknown; name?: unknown; fence?: unknown };
  if ((body.kind !== 'lock' && body.kind !== 'semaphore') || typeof body.name !== 'string') {
    throw new RangeError('expected { kind: "lock" | "semaphore", name, fence? }');
  }
  const kind: NameKind = body.kind;
  const fence = body.fence === undefined || body.fence === null ? null : Number(body.fence);
  if (fence !== null && !Number.isSafeInteger(fence)) throw new RangeError('fence must be an integer');
  try {
    await o.onAction?.({ type: 'force-release', kind, name: body.name, fence, req });
  } catch {
    sendJson(res, 500, {
      error: { code: 'DASHBOARD_AUDIT_FAILED', message: 'the audit callback failed; nothing was released' },
    });
    return;
  }
  const released = await o.admin.forceRelease(kind, body.name, fence === null ? {} : { fence });
  sendJson(res, 200, { released });
}

async function route(o: ResolvedDashboardOptions, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = relativeUrl(req);
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path === '/api/release') {
    if (method !== 'POST') return methodNotAllowed(res, 'POST');
    await forceRelease(o, req, res);
    return true;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    if (path === '/' || path.startsWith('/api/') || assetOf(path.slice(1))) return methodNotAllowed(res, 'GET, HEAD');
    return false;
  }
  if (path === '/') {
    const original = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://x');
    if (!original.pathname.endsWith('/')) {
      // Relative asset URLs need the trailing slash: /admin/locks -> /admin/locks/
      res.writeHead(308, { ...SECURITY_HEADERS, Location: `${original.pathname}/${original.search}` });
      res.end();
      return true;
    }
    serveAsset(req, res, 'index.html');
    return true;
  }
  if (path === '/api/config') {
    sendJson(res, 200, { allowActions: o.allowActions, intervalMs: o.intervalMs, prefix: o.admin.prefix });
    return true;
  }
  if (path === '/api/snapshot') {
    sendJson(res, 200, await takeSnapshot(o.admin, parseSelection(url.searchParams)));
    return true;
  }
  if (path === '/api/events') {
    await streamEvents(o, req, res, parseSelection(url.searchParams));
    return true;
  }
  const file = path.slice(1);
  if (file !== 'index.html' && assetOf(file)) {
    serveAsset(req, res, file);
    return true;
  }
  return false;
}

function methodNotAllowed(res: ServerResponse, allow: string): true {
  res.writeHead(405, { ...SECURITY_HEADERS, Allow: allow });
  res.end();
  return true;
}

/**
 * A live dashboard of every Lockstep lock and semaphore, as a Connect/Express handler. Mount it
 * behind your own auth: it sets no cookies and trusts whoever reaches it.
 *
 * @example
 * ```ts
 * app.use('/admin/locks', requireAdmin, lockstepDashboard({ lockstep }));
 * ```
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for bad options (before any I/O)
 */
export function lockstepDashboard(options: DashboardOptions): DashboardHandler {
  const o = resolveDashboardOptions(options);
  return (req, res, next) => {
    route(o, req, res).then(
      (handled) => {
        if (handled) return;
        if (next) next();
        else sendJson(res, 404, { error: { code: 'DASHBOARD_NOT_FOUND', message: 'not found' } });
      },
      (err: unknown) => sendError(res, err),
    );
  };
}
