// A Server-Sent Events client on a real HTTP connection that records every event it receives.
import { type ClientRequest, request } from 'node:http';
import type { Snapshot } from '../src/index.js';

/** A `failure` event's data. */
export interface Failure {
  readonly code: string;
  readonly message: string;
}

/** One open `api/events` stream. */
export interface EventClient {
  /** HTTP status of the answer (0 until the headers arrive). */
  readonly status: () => number;
  /** Every `update` snapshot so far, oldest first. */
  readonly updates: Snapshot[];
  /** Every `failure` so far, oldest first. */
  readonly failures: Failure[];
  /** Resolves once the server ended the stream (or the connection failed). */
  readonly ended: Promise<void>;
  /** Closes the connection from the client side. */
  close(): void;
}

/** Opens `url` (an `api/events` URL) and parses its events as they arrive. */
export function openEvents(url: string): EventClient {
  const updates: Snapshot[] = [];
  const failures: Failure[] = [];
  let status = 0;
  let req: ClientRequest | undefined;
  const ended = new Promise<void>((resolve) => {
    req = request(url, (res) => {
      status = res.statusCode ?? 0;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          record(buffer.slice(0, end), updates, failures);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('end', resolve);
      res.on('error', () => resolve());
      res.on('close', resolve);
    });
    req.on('error', () => resolve());
    req.end();
  });
  return { status: () => status, updates, failures, ended, close: () => req?.destroy() };
}

function record(block: string, updates: Snapshot[], failures: Failure[]): void {
  const event = /^event: (\w+)$/m.exec(block)?.[1];
  const data = /^data: (.*)$/m.exec(block)?.[1];
  if (data === undefined) return;
  if (event === 'update') updates.push(JSON.parse(data) as Snapshot);
  else if (event === 'failure') failures.push(JSON.parse(data) as Failure);
}
