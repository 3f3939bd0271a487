// A route whose @Limited method is wrapped again by another method decorator applied after it (a
// tracing `@Span()` as nestjs-otel writes it, `@Transactional()`, a timing decorator): Nest's handler
// is then the outer wrapper, which copies every metadata key but is not Lockstep's own. The route
// must still behave as a decorated route: a client that leaves while queued leaves the queue (its
// handler never runs), and a streamed body keeps the permit until it was sent.
import 'reflect-metadata';
import { Lockstep } from '@lockstep/core';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Controller, Get, type INestApplication, Module, Query, StreamableFile } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limited, LockstepModule } from '../src/index.js';
import { listenApp } from './support/http-app.js';
import { get, slowBody } from './support/slow-http.js';

/** A method decorator that wraps the method and copies its metadata, as nestjs-otel's `@Span()` does. */
function Span(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      return original.apply(this, args);
    };
    for (const key of Reflect.getMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
    }
    Object.defineProperty(wrapped, 'name', { value: original.name });
    descriptor.value = wrapped;
  };
}

const ran: string[] = [];
let release: () => void = () => undefined;
let entered: () => void = () => undefined;

@Controller()
class WrappedController {
  @Get('queued')
  @Span()
  @Limited('wrapped-queued', { limit: 1, waitMs: 30_000 })
  async queued(@Query('id') id: string): Promise<string> {
    ran.push(id);
    if (id === 'holder') {
      entered();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    }
    return id;
  }

  @Get('file')
  @Span()
  @Limited('wrapped-file', { limit: 1, onBusy: 'throw' })
  file(): StreamableFile {
    return new StreamableFile(slowBody());
  }
}

for (const platform of ['express', 'fastify'] as const) {
  describe(`a @Limited route wrapped by another decorator (${platform})`, () => {
    let app: INestApplication;
    let base: string;
    const prefix = uniquePrefix(`wrapped-${platform}`);
    const redis = standaloneClient();
    const lockstep = new Lockstep({ redis, prefix });

    beforeAll(async () => {
      @Module({ imports: [LockstepModule.forRoot({ redis, prefix })], controllers: [WrappedController] })
      class AppModule {}
      ({ app, base } = await listenApp(AppModule, platform));
    });

    afterAll(async () => {
      release();
      await lockstep.close();
      await app?.close();
    });

    it('a client that leaves while queued leaves the queue at once, and its handler never runs', async () => {
      ran.length = 0;
      const holding = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const holder = get(`${base}/queued?id=holder`);
      await holding;
      const leaver = get(`${base}/queued?id=leaver`);
      const semaphore = lockstep.semaphore('wrapped-queued', { limit: 1 });
      await expect.poll(async () => (await semaphore.inspect()).waiting, { timeout: 5_000 }).toBe(1);
      leaver.req.destroy();
      // Taken out of the queue at once (a dead waiter's heartbeat would lapse only after 10 s).
      await expect.poll(async () => (await semaphore.inspect()).waiting, { timeout: 3_000 }).toBe(0);
      release();
      expect((await holder.done).body).toBe('holder');
      await new Promise((r) => setTimeout(r, 200));
      expect(ran).toEqual(['holder']);
    });

    it('holds the permit until the streamed body is sent', async () => {
      const first = get(`${base}/file`);
      await first.started;
      // The handler returned; the body is still streaming: the one permit is still taken.
      const second = await get(`${base}/file`).done;
      expect(second.status).toBe(503);
      expect((await first.done).status).toBe(200);
    });
  });
}
