// Nest's Express adapter: the middleware applied with app.use in front of a real controller.
// Decorators are applied as plain calls, so this file needs no decorator compiler settings.
import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, expect, it } from 'vitest';
import { concurrencyLimit } from '../src/index.js';
import { request } from './support/http.js';
import { gate, settled, testLockstep } from './support/lockstep.js';

const lockstep = testLockstep();
const hold = gate();

class ExportsController {
  async run(req: IncomingMessage): Promise<string> {
    if (req.url?.includes('hold')) await hold.promise;
    return `limit ${req.lockstep?.limit}, held ${req.lockstep?.lease.held}`;
  }
}
Controller('exports')(ExportsController);
Req()(ExportsController.prototype, 'run', 0);
Get()(
  ExportsController.prototype,
  'run',
  Object.getOwnPropertyDescriptor(ExportsController.prototype, 'run') as PropertyDescriptor,
);

class AppModule {}
Module({ controllers: [ExportsController] })(AppModule);

const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: false });
app.use('/exports', concurrencyLimit({ lockstep, name: 'nest-exports', limit: 1, waitMs: 0 }));
await app.listen(0, '127.0.0.1');
const port = (app.getHttpServer().address() as AddressInfo).port;

afterAll(async () => {
  await app.close();
});

it('limits a Nest controller through the Express adapter and releases after the response', async () => {
  const semaphore = lockstep.semaphore('nest-exports', { limit: 1 });
  expect((await request(port, '/exports')).body).toBe('limit 1, held true');
  const held = request(port, '/exports?hold');
  await settled(semaphore, 1, 0);
  const busy = await request(port, '/exports');
  expect(busy.status).toBe(503);
  expect(JSON.parse(busy.body).code).toBe('ERR_ACQUIRE_TIMEOUT');
  hold.open();
  expect((await held).status).toBe(200);
  await settled(semaphore, 0, 0);
});
