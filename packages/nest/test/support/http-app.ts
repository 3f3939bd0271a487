// A real Nest HTTP application on a loopback port, on Express or Fastify, for the HTTP tests.
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';

/** The HTTP platforms every route test runs on. */
export type Platform = 'express' | 'fastify';

/** Creates the application for `module` on `platform`, listens on 127.0.0.1, and returns it with its base URL. */
export async function listenApp(module: unknown, platform: Platform): Promise<{ app: INestApplication; base: string }> {
  const root = module as Parameters<typeof NestFactory.create>[0];
  const app =
    platform === 'express'
      ? await NestFactory.create(root, { logger: false })
      : await NestFactory.create(root, new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, base: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/**
 * A client of `port` that fails at once while the server is down (no offline queue, no retries),
 * as a production client should, connected before it is returned.
 */
export async function failFastClient(port: number): Promise<Redis> {
  const redis = new Redis(port, '127.0.0.1', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}
