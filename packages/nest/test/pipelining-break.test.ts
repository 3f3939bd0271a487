// HTTP/1.1 pipelining under a Nest route decorated with @Limited: a client sends two requests on one
// connection, then leaves. The second one's response is queued behind the first one's and never gets
// a socket, so it never emits 'finish' nor 'close'; only its request is destroyed. Its permit must
// still come back (it is auto-extended: a missed end keeps it forever).
import 'reflect-metadata';
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { Lockstep } from '@lockstep/core';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Controller, Get, type INestApplication, Module, Query, Res } from '@nestjs/common';
import { afterAll, describe, expect, it } from 'vitest';
import { Limited, LockstepModule } from '../src/index.js';
import { listenApp } from './support/http-app.js';

@Controller()
class PipeController {
  /** Holds the response open (its client will leave). */
  @Get('slow')
  @Limited('pipe', { limit: 4, ttlMs: 1_500 })
  slow(@Res() _res: ServerResponse): void {}

  @Get('fast')
  @Limited('pipe', { limit: 4, ttlMs: 1_500 })
  fast(@Query('id') id: string): string {
    return `fast ${id}`;
  }
}

async function pipeline(port: number, paths: string[]): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`).join(''));
  return socket;
}

const redis = standaloneClient();
const opened: { app: INestApplication; lockstep: Lockstep }[] = [];
afterAll(async () => {
  for (const { app, lockstep } of opened) {
    await lockstep.close();
    await app.close();
  }
});

for (const platform of ['express', 'fastify'] as const) {
  describe(`pipelined requests (${platform})`, () => {
    it('gives back the permit of a pipelined route answered behind a response whose client left', async () => {
      const prefix = uniquePrefix(`pipe-${platform}`);
      @Module({ imports: [LockstepModule.forRoot({ redis, prefix })], controllers: [PipeController] })
      class AppModule {}
      const { app, base } = await listenApp(AppModule, platform);
      const lockstep = new Lockstep({ redis, prefix });
      opened.push({ app, lockstep });
      const semaphore = lockstep.semaphore('pipe', { limit: 4 });
      const port = Number(new URL(base).port);
      const socket = await pipeline(port, ['/slow', '/fast?id=1']);
      await expect.poll(async () => (await semaphore.inspect()).used, { timeout: 5_000 }).toBe(2);
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      });
      // The client is gone: both permits must come back (well within the 1.5 s TTL's auto-extension).
      await expect.poll(async () => (await semaphore.inspect()).used, { timeout: 6_000 }).toBe(0);
    });
  });
}
