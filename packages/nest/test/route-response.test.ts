// A route whose body is written after the handler returned (StreamableFile, @Res() piping): the
// permit is the route's until its response finished or its client left, as "at most N downloads at
// once" needs. Real Nest apps on Express and Fastify, real sockets, real Redis.
import 'reflect-metadata';
import type { ServerResponse } from 'node:http';
import { startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Controller, Get, type INestApplication, Module, Res, StreamableFile } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limited, LockstepModule } from '../src/index.js';
import { listenApp } from './support/http-app.js';
import { get, slowBody } from './support/slow-http.js';

@Controller()
class DownloadsController {
  @Get('file')
  @Limited('downloads-file', { limit: 1, onBusy: 'throw' })
  file(): StreamableFile {
    return new StreamableFile(slowBody());
  }

  @Get('piped')
  @Limited('downloads-piped', { limit: 1, onBusy: 'throw' })
  piped(@Res() res: ServerResponse | { raw: ServerResponse }): void {
    slowBody().pipe('raw' in res ? res.raw : res);
  }
}

for (const platform of ['express', 'fastify'] as const) {
  describe(`a streamed route response (${platform})`, () => {
    let app: INestApplication;
    let base: string;

    beforeAll(async () => {
      @Module({
        imports: [LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix(`stream-${platform}`) })],
        controllers: [DownloadsController],
      })
      class AppModule {}
      ({ app, base } = await listenApp(AppModule, platform));
    });

    afterAll(async () => {
      await app?.close();
    });

    for (const route of ['file', 'piped'] as const) {
      it(`${route}: holds the permit until the body is sent, and gives it back when the client leaves`, async () => {
        const first = get(`${base}/${route}`);
        await first.started;
        // The handler returned long ago; the body is still streaming: the one permit is taken.
        const second = await get(`${base}/${route}`).done;
        expect(second.status).toBe(503);
        expect(await first.done).toEqual({ status: 200, body: 'chunk1;chunk2;chunk3;chunk4;chunk5;chunk6;' });
        // Sent: the permit is back (released right after the response finished).
        // Each try streams the whole body (about 420 ms): the default 1 s leaves room for two at most.
        await expect.poll(async () => (await get(`${base}/${route}`).done).status, { timeout: 5_000 }).toBe(200);
        // A client that leaves mid-body gives the permit back too.
        const leaver = get(`${base}/${route}`);
        await leaver.started;
        leaver.req.destroy();
        await expect.poll(async () => (await get(`${base}/${route}`).done).status, { timeout: 5_000 }).toBe(200);
      });
    }
  });
}

describe('a streamed route response when Redis stops mid-body', () => {
  it('reports the failed release to onError (the permit then expires with its TTL)', async () => {
    const server = await startRedisServer();
    const redis = new Redis(server.port, '127.0.0.1', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    await new Promise((resolve) => redis.once('ready', resolve));
    const errors: string[] = [];
    @Module({
      imports: [
        LockstepModule.forRoot({
          redis,
          prefix: uniquePrefix('stream-outage'),
          requestTimeoutMs: 500,
          onError: (error) => errors.push(String((error as { code?: string }).code)),
        }),
      ],
      controllers: [DownloadsController],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    try {
      await app.listen(0, '127.0.0.1');
      const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const download = get(`${base}/file`);
      await download.started;
      await server.stop();
      expect((await download.done).status).toBe(200);
      await expect.poll(() => errors.includes('ERR_REDIS'), { timeout: 10_000 }).toBe(true);
    } finally {
      await app.close();
      redis.disconnect();
      await server.stop();
    }
  });
});
