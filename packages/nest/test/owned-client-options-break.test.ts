// Bad options next to a redis:// URL: refused with ERR_INVALID_ARGUMENT naming the option, before
// the module connects a client of its own (one left connected keeps the process alive).
import 'reflect-metadata';
import { isLockstepError } from '@lockstep/core';
import { startRedisServer } from '@lockstep/test-utils';
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
  const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
  return list.split('\n').filter((line) => line.length > 0).length;
}

async function startupError(module: unknown): Promise<unknown> {
  return await Test.createTestingModule({ imports: [module as never] })
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
