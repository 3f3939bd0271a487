// Other decorators' metadata survives @Locked/@Limited in both orders, as Nest's own explorers see
// it: routes answer, cron jobs are scheduled, event listeners and message patterns are registered,
// and Swagger documents the operations.
import 'reflect-metadata';
import { isLockstepError, Lockstep } from '@lockstep/core';
import { freePort, uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Controller, Get, type INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { ClientProxyFactory, MessagePattern, Transport } from '@nestjs/microservices';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { ApiOperation, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLease, Limited, Locked, LockstepModule } from '../src/index.js';

const NEVER = '0 0 1 1 *'; // once a year: registered, never fired during the test

@Controller('m')
class OrdersController {
  @Get('above')
  @ApiOperation({ summary: 'route above' })
  @Locked('route-above')
  async above(): Promise<{ fenced: boolean }> {
    return { fenced: typeof currentLease()?.fence === 'number' };
  }

  @Locked('route-below')
  @ApiOperation({ summary: 'route below' })
  @Get('below')
  async below(): Promise<{ fenced: boolean }> {
    return { fenced: typeof currentLease()?.fence === 'number' };
  }

  @MessagePattern('pattern.above')
  @Limited('pattern-above', { limit: 2 })
  async patternAbove(n: number): Promise<number> {
    return n + (currentLease() ? 1 : 0);
  }

  @Limited('pattern-below', { limit: 2 })
  @MessagePattern('pattern.below')
  async patternBelow(n: number): Promise<number> {
    return n + (currentLease() ? 2 : 0);
  }

  @MessagePattern('pattern.busy')
  @Locked('busy', { onBusy: 'throw' })
  async patternBusy(n: number): Promise<number> {
    return n;
  }
}

@Injectable()
class Jobs {
  @Cron(NEVER, { name: 'cron-above' })
  @Locked('cron-above', { onBusy: 'skip' })
  async cronAbove(): Promise<void> {}

  @Locked('cron-below', { onBusy: 'skip' })
  @Cron(NEVER, { name: 'cron-below' })
  async cronBelow(): Promise<void> {}

  @OnEvent('event.above')
  @Locked((id: string) => `event:${id}`)
  async eventAbove(id: string): Promise<string> {
    return `above:${id}:${currentLease() ? 'leased' : 'bare'}`;
  }

  @OnEvent('event.busy', { suppressErrors: false }) // the listener's rejection reaches emitAsync
  @Locked('busy', { onBusy: 'throw' })
  async eventBusy(): Promise<string> {
    return 'ran';
  }

  @Limited((id: string) => `event:${id}`, { limit: 1 })
  @OnEvent('event.below')
  async eventBelow(id: string): Promise<string> {
    return `below:${id}:${currentLease() ? 'leased' : 'bare'}`;
  }
}

@Module({
  imports: [
    LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('meta') }),
    ScheduleModule.forRoot(),
    EventEmitterModule.forRoot(),
  ],
  controllers: [OrdersController],
  providers: [Jobs],
})
class AppModule {}

describe('metadata in both decorator orders', () => {
  let app: INestApplication;
  let base: string;
  let tcpPort: number;

  beforeAll(async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    tcpPort = await freePort();
    // inheritAppConfig: the hybrid microservice uses the application's global filters, ours included.
    app.connectMicroservice(
      { transport: Transport.TCP, options: { host: '127.0.0.1', port: tcpPort } },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('the wrapper keeps name, length and every metadata key of the method', () => {
    for (const key of ['above', 'below', 'patternAbove', 'patternBelow'] as const) {
      const method = OrdersController.prototype[key];
      expect(method.name).toBe(key);
      expect(Reflect.getOwnMetadataKeys(method).length).toBeGreaterThanOrEqual(2);
    }
    expect(Jobs.prototype.eventAbove.length).toBe(1);
    expect(Reflect.getOwnMetadataKeys(Jobs.prototype.cronAbove).sort()).toEqual(
      Reflect.getOwnMetadataKeys(Jobs.prototype.cronBelow).sort(),
    );
  });

  it('routes answer (HTTP), running under the lock', async () => {
    for (const path of ['above', 'below']) {
      const response = await fetch(`${base}/m/${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.json()).toEqual({ fenced: true });
    }
  });

  it('cron jobs are registered with @nestjs/schedule', () => {
    const registry = app.get(SchedulerRegistry);
    expect([...registry.getCronJobs().keys()].sort()).toEqual(['cron-above', 'cron-below']);
  });

  it('event listeners are registered with @nestjs/event-emitter and run under the lock', async () => {
    const emitter = app.get(EventEmitter2);
    expect(await emitter.emitAsync('event.above', '7')).toEqual(['above:7:leased']);
    expect(await emitter.emitAsync('event.below', '8')).toEqual(['below:8:leased']);
  });

  it('message patterns are registered with @nestjs/microservices (TCP) and run under the limit', async () => {
    const client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: tcpPort },
    });
    try {
      expect(await firstValueFrom(client.send<number>('pattern.above', 10))).toBe(11);
      expect(await firstValueFrom(client.send<number>('pattern.below', 10))).toBe(12);
    } finally {
      await client.close();
    }
  });

  it('RPC and event contexts get the LockstepError itself, not an HTTP answer', async () => {
    const lease = await app.get(Lockstep).lock('busy').acquire();
    const client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: tcpPort },
    });
    try {
      const rpcError = await firstValueFrom(client.send<number>('pattern.busy', 1)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(rpcError).toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT', name: 'AcquireTimeoutError', resource: 'busy' });
      const eventError = await app
        .get(EventEmitter2)
        .emitAsync('event.busy')
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(isLockstepError(eventError, 'ERR_ACQUIRE_TIMEOUT')).toBe(true);
    } finally {
      await client.close();
      await lease.release();
    }
  });

  it('Swagger documents both operations', () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('t').build());
    expect(document.paths['/m/above']?.get?.summary).toBe('route above');
    expect(document.paths['/m/below']?.get?.summary).toBe('route below');
  });
});
