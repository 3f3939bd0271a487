// The load generator's HTTP client: real sockets (node:http), and clients that hang up mid-request.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** A response's status; `aborted` when this client hung up; `error` (no connection) or `timeout`. */
export type Outcome = number | 'aborted' | 'error' | 'timeout';

/** No response for this long is a bug in the demo: give up, so stopping the load never hangs. */
const RESPONSE_TIMEOUT_MS = 60_000;

/** Sends a request; with `abortAfterMs`, destroys the socket after that long (a client that leaves). */
export function send(
  url: string,
  method: 'GET' | 'POST',
  body?: object,
  abortAfterMs?: number,
): Promise<{ outcome: Outcome; json: unknown }> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // A leaving client gets its own socket: destroying it must not touch the shared pool.
    const req = http.request(url, {
      method,
      agent: abortAfterMs === undefined ? agent : false,
      headers:
        payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (outcome: Outcome, json: unknown = undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, json });
    };
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        done(res.statusCode ?? 0, json);
      });
      res.on('error', () => done('error'));
    });
    req.on('error', () => done('error'));
    req.setTimeout(RESPONSE_TIMEOUT_MS, () => {
      done('timeout');
      req.destroy();
    });
    if (abortAfterMs !== undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        req.destroy();
        done('aborted');
      }, abortAfterMs);
    }
    req.end(payload);
  });
}

/** Closes the pooled sockets. */
export function closeClients(): void {
  agent.destroy();
}
