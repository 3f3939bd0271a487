// A client that leaves while its request waits for a @Limited or @Locked permit: the wait ends at
// once and the handler never runs for it (express-queue's leak, in Nest). Real sockets, real Redis.
import 'reflect-metadata';
import http from 'node:http';
import { Lockstep } from '@lockstep/core';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  Injectable,
  Module,
  type NestInterceptor,
  Query,
  RequestTimeoutException,
  UseInterceptors,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { catchError, type Observable, TimeoutError, throwError, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limited, Locked, LockstepModule } from '../src/index.js';
import { listenApp } from './support/http-app.js';

const ran: string[] = [];
let release: () => void = () => undefined;
let entered: () => void = () => undefined;

/** The request timeout of Nest's interceptor docs: answers 408 when the handler takes too long. */
@Injectable()
class TimeoutInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      timeout(300),
      catchError((error: unknown) =>
        throwError(() => (error instanceof TimeoutError ? new RequestTimeoutException() : error)),
      ),
    );
  }
}

@Controller()
class QueueController {
  @Get('timed')
  @UseInterceptors(TimeoutInterceptor)
  @Limited('abort-exports', { limit: 1, waitMs: 30_000 })
  async timed(@Query('id') id: string): Promise<string> {
    ran.push(id);
    return id;
  }

  @Get('limited')
  @Limited('abort-exports', { limit: 1, waitMs: 30_000 })
  async limited(@Query('id') id: string): Promise<string> {
    ran.push(id);
    if (id === 'holder') {
      entered();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    }
    return id;
  }

  @Locked('abort-invoice', { waitMs: 30_000 })
  @Get('locked')
  async locked(@Query('id') id: string): Promise<string> {
    return this.limited(id);
  }
}

function send(base: string, path: string) {
  const req = http.get(`${base}${path}`);
  req.on('error', () => undefined);
  const body = new Promise<string>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
  });
  body.catch(() => undefined);
  return { req, body };
}

for (const platform of ['express', 'fastify'] as const) {
  describe(`a client that leaves while queued (${platform})`, () => {
    let app: INestApplication;
    let base: string;
    const prefix = uniquePrefix(`abort-${platform}`);
    const redis = standaloneClient();

    beforeAll(async () => {
      @Module({ imports: [LockstepModule.forRoot({ redis, prefix })], controllers: [QueueController] })
      class AppModule {}
      ({ app, base } = await listenApp(AppModule, platform));
    });

    afterAll(async () => {
      await app?.close();
    });

    for (const route of ['limited', 'locked'] as const) {
      it(`${route}: leaves the queue at once and its handler never runs`, async () => {
        ran.length = 0;
        const inside = new Promise<void>((resolve) => {
          entered = resolve;
        });
        const holder = send(base, `/${route}?id=holder`);
        await inside;
        const leaver = send(base, `/${route}?id=leaver`);
        const stayer = send(base, `/${route}?id=stayer`);
        // Both are queued behind the holder; then the leaver's client goes away.
        const key = route === 'limited' ? 'abort-exports' : 'abort-invoice';
        await waitForWaiters(redis, prefix, key, 2);
        leaver.req.destroy();
        await waitForWaiters(redis, prefix, key, 1);
        release();
        expect(await holder.body).toBe('holder');
        expect(await stayer.body).toBe('stayer');
        expect(ran).toEqual(['holder', 'stayer']);
      });
    }

    it('a request answered while queued (a timeout interceptor) leaves the queue, and its handler never runs', async () => {
      // Before: it stayed queued after its 408 went out, then took the permit and ran for nobody.
      ran.length = 0;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const holder = send(base, '/limited?id=holder');
      await inside;
      const late = send(base, '/timed?id=late');
      expect(JSON.parse(await late.body)).toMatchObject({ statusCode: 408 });
      await waitForWaiters(redis, prefix, 'abort-exports', 0);
      const stayer = send(base, '/limited?id=stayer');
      await waitForWaiters(redis, prefix, 'abort-exports', 1);
      release();
      expect(await holder.body).toBe('holder');
      expect(await stayer.body).toBe('stayer');
      expect(ran).toEqual(['holder', 'stayer']);
    });
  });
}

/** Polls the name's queued waiters through core's inspect(), with a Lockstep on the same prefix. */
async function waitForWaiters(redis: Redis, prefix: string, name: string, n: number): Promise<void> {
  const lockstep = new Lockstep({ redis, prefix });
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const state =
        name === 'abort-exports'
          ? await lockstep.semaphore(name, { limit: 1 }).inspect()
          : await lockstep.lock(name).inspect();
      if (state.waiting === n) return;
      if (Date.now() > deadline) throw new Error(`expected ${n} waiters on ${name}, have ${state.waiting}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await lockstep.close();
  }
}
