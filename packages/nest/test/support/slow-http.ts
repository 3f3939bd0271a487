// A slowly streamed body and a GET that reports when its body starts: for routes whose response
// is written after the handler returned (StreamableFile, @Res() piping).
import http from 'node:http';
import { Readable } from 'node:stream';

/** A body of 6 chunks, one every 60 ms. */
export function slowBody(): Readable {
  let n = 0;
  return new Readable({
    read() {
      setTimeout(() => this.push(n++ < 6 ? `chunk${n};` : null), 60);
    },
  });
}

/** Sends a GET; `started` resolves when the body starts, `done` with status and body. */
export function get(url: string) {
  const req = http.get(url);
  req.on('error', () => undefined);
  let firstByte: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    firstByte = resolve;
  });
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
        firstByte();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  done.catch(() => undefined);
  return { req, started, done };
}
