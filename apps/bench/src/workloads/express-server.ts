// The server process of the express workload: one route with a 1 ms handler, behind nothing, behind
// concurrencyLimit, or behind express-rate-limit with its Redis store. Prints "READY <port>".
import type { AddressInfo } from 'node:net';
import { Lockstep } from '@lockstep/core';
import { concurrencyLimit } from '@lockstep/express';
import express, { type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { type RedisReply, RedisStore } from 'rate-limit-redis';

const [mode = 'bare', redisUrl = 'redis://127.0.0.1:6379', limit = '10000'] = process.argv.slice(2);
const redis = new Redis(redisUrl);
const lockstep = new Lockstep({ redis, prefix: 'bench-express' });

function guard(): RequestHandler[] {
  if (mode === 'lockstep') return [concurrencyLimit({ lockstep, name: 'route', limit: Number(limit), waitMs: 30_000 })];
  if (mode === 'express-rate-limit') {
    return [
      rateLimit({
        windowMs: 60_000,
        limit: 1_000_000_000,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        store: new RedisStore({
          prefix: 'bench-erl:',
          sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
        }),
      }),
    ];
  }
  return [];
}

const app = express();
app.get('/work', ...guard(), (_req, res) => {
  setTimeout(() => res.send('ok'), 1);
});
const server = app.listen({ port: 0, host: '127.0.0.1', backlog: 1_024 }, () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void lockstep.close().then(() => redis.quit());
});
