// A module-owned client (a redis:// URL) is never left connected by an application that did not
// start: bad options are refused before it exists, and it connects when the module initialises, so
// a failed compile (another provider throws) leaves no connection behind to keep the process alive.
import 'reflect-metadata';
import { isLockstepError } from '@lockstep/core';
import { startRedisServer } from '@lockstep/test-utils';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { LockstepModule } from '../src/index.js';

const server = await startRedisServer();
const admin = new Redis(server.port, '127.0.0.1');

afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

async function connectedClients(): Promise<number> {
  let count = 0;
  for (const type of ['normal', 'pubsub']) {
    const list = (await admin.call('CLIENT', 'LIST', 'TYPE', type)) as string;
    count += list.split('\n').filter((line) => line.length > 0).length;
  }
  return count;
}

@Injectable()
class BrokenProvider {
  constructor() {
    throw new Error('this provider cannot be created');
  }
}

async function startupError(module: unknown, providers: (new () => unknown)[] = []): Promise<unknown> {
  return await Test.createTestingModule({ imports: [module as never], providers })
    .compile()
    .then(
      () => undefined,
      (err: unknown) => err,
    );
}

it('an onError that is not a function, beside a URL: ERR_INVALID_ARGUMENT, and no client left connected', async () => {
  const before = await connectedClients();
  for (const options of [
    { onError: 'log' },
    { onError: 'log', prefix: 'x' },
    { requestTimeoutMs: -1 },
    { quorum: { retries: 1 } },
  ]) {
    const error = await startupError(
      LockstepModule.forRoot({ redis: `redis://127.0.0.1:${server.port}`, ...options } as never),
    );
    expect(isLockstepError(error, 'ERR_INVALID_ARGUMENT'), `${JSON.stringify(options)}: ${String(error)}`).toBe(true);
    expect((error as Error).message).toContain(`\`${Object.keys(options)[0]}\``);
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await connectedClients()).toBe(before);
});

it('an application that fails to start leaves its module-owned client unconnected; one that starts connects at init', async () => {
  const before = await connectedClients();
  const redis = `redis://127.0.0.1:${server.port}`;
  const error = await startupError(LockstepModule.forRoot({ redis }), [BrokenProvider]);
  expect(String(error)).toContain('this provider cannot be created');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await connectedClients()).toBe(before);

  const ref = await Test.createTestingModule({ imports: [LockstepModule.forRoot({ redis })] }).compile();
  await ref.init();
  const deadline = Date.now() + 5_000;
  while ((await connectedClients()) === before && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(await connectedClients()).toBeGreaterThan(before);
  await ref.close();
});
