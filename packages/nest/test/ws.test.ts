// A real Nest WebSocket gateway (@nestjs/platform-ws) over a real socket: a busy @Limited or @Locked
// handler, and a stopped Redis, reach the client as an `exception` message carrying the Lockstep
// code; the connection stays open.
import 'reflect-metadata';
import { type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { type INestApplication, Module, UseFilters } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Limited, Locked, LockstepModule, LockstepWsExceptionFilter } from '../src/index.js';
import { failFastClient } from './support/http-app.js';

let gate: Promise<void> = Promise.resolve();
let openGate: () => void = () => undefined;
let entered: () => void = () => undefined;
function closeGate(): Promise<void> {
  gate = new Promise((resolve) => {
    openGate = resolve;
  });
  return new Promise((resolve) => {
    entered = resolve;
  });
}

@UseFilters(LockstepWsExceptionFilter)
@WebSocketGateway()
class ExportsGateway {
  @SubscribeMessage('limited')
  @Limited('ws-exports', { limit: 1, onBusy: 'throw' })
  async limited() {
    entered();
    await gate;
    return { event: 'done', data: 'limited' };
  }

  @Locked('ws-invoice', { onBusy: 'throw' })
  @SubscribeMessage('locked')
  async locked() {
    entered();
    await gate;
    return { event: 'done', data: 'locked' };
  }
}

interface Message {
  event: string;
  data: { status?: string; code?: string } | string;
}

/** A ws client that queues every message it receives. */
async function connect(url: string) {
  const socket = new WebSocket(url);
  const inbox: Message[] = [];
  let waiter: (() => void) | undefined;
  socket.on('message', (raw) => {
    inbox.push(JSON.parse(String(raw)) as Message);
    waiter?.();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    send: (event: string) => socket.send(JSON.stringify({ event, data: {} })),
    next: async (timeoutMs = 5_000): Promise<Message> => {
      const deadline = Date.now() + timeoutMs;
      while (inbox.length === 0) {
        if (Date.now() > deadline) throw new Error('no message from the gateway');
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 50);
        });
      }
      return inbox.shift() as Message;
    },
  };
}

describe('WebSocket gateway (platform-ws)', () => {
  let server: RedisServer;
  let redis: Redis;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = await failFastClient(server.port);
    @Module({
      imports: [LockstepModule.forRoot({ redis, prefix: uniquePrefix('ws'), requestTimeoutMs: 1_000 })],
      providers: [ExportsGateway],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace(/^http/, 'ws');
  });

  afterAll(async () => {
    await app?.close();
    redis?.disconnect();
    await server?.stop();
  });

  for (const event of ['limited', 'locked'] as const) {
    it(`a busy @${event === 'limited' ? 'Limited' : 'Locked'} handler sends the client an exception with the code`, async () => {
      const holder = await connect(url);
      const other = await connect(url);
      try {
        const inside = closeGate();
        holder.send(event);
        await inside;
        other.send(event);
        const answer = await other.next();
        expect(answer.event).toBe('exception');
        expect(answer.data).toMatchObject({ status: 'error', code: 'ERR_ACQUIRE_TIMEOUT' });
        openGate();
        expect(await holder.next()).toEqual({ event: 'done', data: event });
        // The connection survived the exception: the same client is served once the key is free.
        other.send(event);
        expect(await other.next()).toEqual({ event: 'done', data: event });
      } finally {
        openGate();
        holder.socket.close();
        other.socket.close();
      }
    });
  }

  it('a stopped Redis reaches the client as ERR_REDIS, never as busy', async () => {
    const client = await connect(url);
    try {
      await server.stop();
      client.send('locked');
      const answer = await client.next(10_000);
      expect(answer).toMatchObject({ event: 'exception', data: { status: 'error', code: 'ERR_REDIS' } });
    } finally {
      client.socket.close();
    }
  });
});
