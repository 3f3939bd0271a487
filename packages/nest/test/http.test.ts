// Real HTTP requests on Express and on Fastify: a busy @Limited route answers 503 + Retry-After, a
// busy @Locked route 409, and a stopped Redis 503; never a 500.
import 'reflect-metadata';
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limited, Locked, LockstepModule } from '../src/index.js';
import { failFastClient, listenApp } from './support/http-app.js';

// Handlers wait here until the test opens the gate.
let gate: Promise<void> = Promise.resolve();
let openGate: () => void = () => undefined;
const closeGate = () => {
  gate = new Promise((resolve) => {
    openGate = resolve;
  });
};
let entered: () => void = () => undefined;
const nextEntry = () =>
  new Promise<void>((resolve) => {
    entered = resolve;
  });

@Controller()
class BusyController {
  @Get('limited')
  @Limited('exports', { limit: 1, onBusy: 'throw' })
  async limited(): Promise<string> {
    entered();
    await gate;
    return 'ok';
  }

  @Limited('exports', { limit: 1, waitMs: 150 })
  @Get('limited-wait')
  async limitedWait(): Promise<string> {
    return 'ok';
  }

  @Get('locked')
  @Locked('invoice', { onBusy: 'throw' })
  async locked(): Promise<string> {
    entered();
    await gate;
    return 'ok';
  }

  @Locked('invoice', { waitMs: 150 })
  @Get('locked-wait')
  async lockedWait(): Promise<string> {
    return 'ok';
  }
}

for (const platform of ['express', 'fastify'] as const) {
  describe(`HTTP on ${platform}`, () => {
    let server: RedisServer;
    let redis: Redis;
    let app: INestApplication;
    let base: string;

    beforeAll(async () => {
      server = await startRedisServer();
      // Fail fast while the server is down (no offline queue), as a production client should.
      redis = await failFastClient(server.port);
      @Module({
        imports: [LockstepModule.forRoot({ redis, prefix: uniquePrefix(platform), requestTimeoutMs: 1_000 })],
        controllers: [BusyController],
      })
      class AppModule {}
      ({ app, base } = await listenApp(AppModule, platform));
    });

    afterAll(async () => {
      await app?.close();
      redis?.disconnect();
      await server?.stop();
    });

    it('answers 200 when free', async () => {
      const response = await fetch(`${base}/limited-wait`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('ok');
    });

    it('a busy @Limited route answers 503 with Retry-After (onBusy throw, and a wait that ran out)', async () => {
      closeGate();
      const inside = nextEntry();
      const holder = fetch(`${base}/limited`);
      await inside;
      for (const path of ['limited', 'limited-wait']) {
        const response = await fetch(`${base}/${path}`);
        expect(response.status, path).toBe(503);
        // 1 s plus up to 1 s of jitter by default.
        expect(response.headers.get('retry-after'), path).toMatch(/^[12]$/);
        expect(((await response.json()) as { code: string }).code).toBe('ERR_ACQUIRE_TIMEOUT');
      }
      openGate();
      expect((await holder).status).toBe(200);
    });

    it('a busy @Locked route answers 409 (onBusy throw, and a wait that ran out)', async () => {
      closeGate();
      const inside = nextEntry();
      const holder = fetch(`${base}/locked`);
      await inside;
      for (const path of ['locked', 'locked-wait']) {
        const response = await fetch(`${base}/${path}`);
        expect(response.status, path).toBe(409);
        expect(response.headers.get('retry-after')).toBeNull();
      }
      openGate();
      expect((await holder).status).toBe(200);
    });

    it('a stopped Redis answers 503 (an outage, not contention)', async () => {
      await server.stop();
      for (const path of ['locked', 'limited-wait']) {
        const response = await fetch(`${base}/${path}`);
        expect(response.status, path).toBe(503);
        expect(((await response.json()) as { code: string }).code, path).toBe('ERR_REDIS');
      }
    });
  });
}
