// Small HTTP helpers on plain node:http objects (what Express, Connect and Nest's adapters pass on).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers every response carries: no caching of live data, a strict CSP, nothing framed or sniffed. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
});

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads a small JSON body (or takes one a body parser already set on `req.body`); RangeError (a 400) past `maxBytes`. */
export async function readJson(req: IncomingMessage, maxBytes = 8_192): Promise<unknown> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed !== undefined && typeof parsed === 'object' && parsed !== null && !Buffer.isBuffer(parsed)) return parsed;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new RangeError(`body too large: more than ${maxBytes} bytes`);
    chunks.push(chunk as Uint8Array);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** The path and query of the request, relative to where the handler is mounted. */
export function relativeUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://dashboard.invalid');
}
