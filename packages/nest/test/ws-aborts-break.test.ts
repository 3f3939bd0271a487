// A WebSocket client that disconnects while its message handler is queued for a permit: the wait
// must end at once (leaving the Redis queue) and the handler must never run for the gone client,
// as for HTTP route handlers; otherwise each such client still takes a permit and runs its work
// up to waitMs later (express-queue's leak, over WebSockets).
import 'reflect-metadata';
import { Lockstep } from '@lockstep/core';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Module, UseFilters } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Limited, LockstepModule, LockstepWsExceptionFilter } from '../src/index.js';

const ran: string[] = [];
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => {
  release = resolve;
});

@UseFilters(LockstepWsExceptionFilter)
@WebSocketGateway()
class JobsGateway {
  @SubscribeMessage('job')
  @Limited('ws-jobs', { limit: 1, waitMs: 20_000 })
  async job(_client: unknown, data: { id: string }) {
    ran.push(data.id);
    if (data.id === 'holder') await held;
    return { event: 'done', data: data.id };
  }
}

async function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

async function until(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('a client that disconnects while queued leaves the queue at once, and its handler never runs', async () => {
  const redis = standaloneClient();
  const prefix = uniquePrefix('ws-aborts');
  @Module({ imports: [LockstepModule.forRoot({ redis, prefix })], providers: [JobsGateway] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('http', 'ws').replace('[::1]', '127.0.0.1');
  const observer = new Lockstep({ redis, prefix });
  const semaphore = observer.semaphore('ws-jobs', { limit: 1 });
  try {
    const holder = await open(url);
    holder.send(JSON.stringify({ event: 'job', data: { id: 'holder' } }));
    await until(async () => ran.includes('holder'), 5_000, 'the holder to run');
    const leaver = await open(url);
    leaver.send(JSON.stringify({ event: 'job', data: { id: 'leaver' } }));
    await until(async () => (await semaphore.inspect()).waiting === 1, 5_000, 'the leaver to queue');
    leaver.terminate();
    await until(async () => (await semaphore.inspect()).waiting === 0, 3_000, 'the leaver to leave the queue');
    release();
    const stayer = await open(url);
    const reply = new Promise<string>((resolve) => stayer.once('message', (raw) => resolve(String(raw))));
    stayer.send(JSON.stringify({ event: 'job', data: { id: 'stayer' } }));
    expect(JSON.parse(await reply)).toEqual({ event: 'done', data: 'stayer' });
    expect(ran).toEqual(['holder', 'stayer']);
    holder.close();
    stayer.close();
  } finally {
    release();
    await observer.close();
    await app.close();
  }
});
