// Type-level checks (compiled by the root tsconfig): the middleware fits Express's and Node's types.
import http from 'node:http';
import type { Lockstep } from '@lockstep/core';
import { createMemoryLockstep } from '@lockstep/core/testing';
import express, { type Request, type Response } from 'express';
import { concurrencyLimit, type RejectionInfo, type RequestPermit } from '../src/index.js';

declare const lockstep: Lockstep;
const app = express();

// Inline, with the request typed by the name function's annotation.
app.put('/invoices/:id', concurrencyLimit({ lockstep, name: (req: Request) => `invoice:${req.params.id}`, limit: 1 }));
// Per-request limit and priority, a custom rejection with Express's response.
app.post(
  '/exports',
  concurrencyLimit({
    lockstep,
    name: (req: Request) => `exports:${String(req.headers['x-tenant'])}`,
    limit: async (req: Request) => (req.headers['x-plan'] === 'pro' ? 8 : 2),
    priority: (req: Request) => (req.headers['x-plan'] === 'pro' ? 'critical' : 'bulk'),
    priorities: ['critical', 'bulk'],
    handler: (_req: Request, res: Response, _next, info: RejectionInfo) => res.status(info.statusCode).json(info),
  }),
  (req: Request, res: Response) => {
    const permit: RequestPermit | undefined = req.lockstep;
    const signal: AbortSignal | undefined = permit?.lease.signal;
    res.json({ waited: permit?.waitedMs, aborted: signal?.aborted });
  },
);
app.use(concurrencyLimit({ lockstep, name: 'all', limit: 100 }));
// Core's in-memory backend, as users' own tests pass it.
app.use(concurrencyLimit({ lockstep: createMemoryLockstep(), name: 'memory', limit: 1 }));

// A bare server: req.lockstep is typed on IncomingMessage too.
const bare = concurrencyLimit({ lockstep, name: 'bare', limit: 2 });
http.createServer((req, res) => {
  void bare(req, res, () => res.end(String(req.lockstep?.lease.fence)));
});

// @ts-expect-error the token is secret and not exposed on the request's lease
req0().lockstep?.lease.token;
// @ts-expect-error waitMs is a number, not a function
concurrencyLimit({ lockstep, name: 'x', limit: 1, waitMs: () => 1 });

declare function req0(): Request;
