// The server process of the express workload: one route with a 1 ms handler, behind nothing, behind
// concurrencyLimit, or behind express-rate-limit with its Redis store. Prints "READY <port>".
import type { AddressInfo } from 'node:net';
import { Lockstep } from '@lockstep/core';
import { concurrencyLimit } from '@lockstep/express';
import express, { type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { type RedisReply, RedisStore } from 'rate-limit-redis';

const [mode = 'bare', redisUrl = 'redis://127.0.0.1:6379', limit = '10000', name = 'route'] = process.argv.slice(2);
const redis = new Redis(redisUrl);
const lockstep = new Lockstep({ redis, prefix: 'bench-express' });

function guard(): RequestHandler[] {
  if (mode === 'lockstep') return [concurrencyLimit({ lockstep, name, limit: Number(limit), waitMs: 30_000 })];
  if (mode === 'express-rate-limit') {
    return [
      rateLimit({
        windowMs: 60_000,
        limit: 1_000_000_000,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        store: new RedisStore({
          prefix: `bench-erl-${name}:`,
          sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
        }),
      }),
    ];
  }
  return [];
}

const arrived = new WeakMap<object, bigint>();
const app = express();
// This process's CPU time so far (user + system, µs), read by the bench before and after a window.
app.get('/cpu', (_req, res) => {
  const { user, system } = process.cpuUsage();
  res.json({ us: user + system });
});
app.get(
  '/work',
  (req, _res, next) => {
    arrived.set(req, process.hrtime.bigint());
    next();
  },
  ...guard(),
  (req, res) => {
    // Time spent in front of the handler (the limiter's share of the latency), as Server-Timing.
    const gateMs = Number(process.hrtime.bigint() - (arrived.get(req) ?? 0n)) / 1e6;
    res.setHeader('Server-Timing', `gate;dur=${gateMs.toFixed(3)}`);
    setTimeout(() => res.send('ok'), 1);
  },
);
const server = app.listen({ port: 0, host: '127.0.0.1', backlog: 1_024 }, () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void lockstep.close().then(() => redis.quit());
});
