// The mountable (req, res, next) handler: the static page, its JSON endpoints, Server-Sent Events
// (event-stream.ts, fed by one shared-poll.ts per handler) and (only with allowActions) the
// force-release action.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLockstepError, type NameKind } from '@lockstep/core';
import { ASSETS } from './assets.generated.js';
import { streamEvents } from './event-stream.js';
import { readJson, relativeUrl, SECURITY_HEADERS, sendJson } from './http.js';
import { type DashboardOptions, type ResolvedDashboardOptions, resolveDashboardOptions } from './options.js';
import { SharedPoll } from './shared-poll.js';
import { parseSelection } from './snapshot.js';

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

async function route(
  o: ResolvedDashboardOptions,
  poll: SharedPoll,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
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
    sendJson(res, 200, await poll.snapshot(parseSelection(url.searchParams)));
    return true;
  }
  if (path === '/api/events') {
    await streamEvents(poll, req, res, parseSelection(url.searchParams));
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
  // Shared by every request to this handler: the Redis cost is per dashboard, not per open page.
  const poll = new SharedPoll(o.admin, o.intervalMs);
  return (req, res, next) => {
    route(o, poll, req, res).then(
      (handled) => {
        if (handled) return;
        if (next) next();
        else sendJson(res, 404, { error: { code: 'DASHBOARD_NOT_FOUND', message: 'not found' } });
      },
      (err: unknown) => sendError(res, err),
    );
  };
}
