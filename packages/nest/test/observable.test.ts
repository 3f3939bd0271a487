// Methods that return an Observable (Nest routes, microservice handlers, @nestjs/axios calls): the
// work runs when Nest subscribes, after the method returned, so the lease must be held until the
// Observable completes, errors or is unsubscribed, not only until the method returned.
import 'reflect-metadata';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Controller, Get, type INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { defer, delay, firstValueFrom, interval, type Observable, of, tap, throwError } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLease, Locked, LockstepModule } from '../src/index.js';

let running = 0;
let peak = 0;
const fences: (number | undefined)[] = [];

@Controller()
class StreamController {
  @Get('obs')
  @Locked('obs-key', { waitMs: 20_000 })
  obs(): Observable<string> {
    return defer(() => {
      running++;
      peak = Math.max(peak, running);
      fences.push(currentLease()?.fence);
      return of('done').pipe(
        delay(150),
        tap(() => {
          running--;
        }),
      );
    });
  }
}

@Injectable()
class Ticker {
  @Locked('ticker', { onBusy: 'throw' })
  ticks(): Observable<number> {
    return interval(10);
  }

  @Locked('ticker', { onBusy: 'throw' })
  failing(): Observable<never> {
    return throwError(() => new Error('boom'));
  }

  @Locked('ticker', { onBusy: 'throw' })
  free(): string {
    return 'free';
  }
}

describe('a decorated method that returns an Observable', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    @Module({
      imports: [LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('obs') })],
      controllers: [StreamController],
      providers: [Ticker],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('holds the lock while subscribed, gives it back on unsubscribe or error, and runs only once', async () => {
    const ticker = app.get(Ticker);
    const ticks = (await ticker.ticks()) as Observable<number>;
    const seen: number[] = [];
    const subscription = ticks.subscribe((n) => seen.push(n));
    await new Promise((resolve) => setTimeout(resolve, 60));
    await expect(ticker.free()).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    subscription.unsubscribe();
    expect(seen.length).toBeGreaterThan(0);
    // The decorated method returns a Promise whatever the method's own type says.
    const free = () => ticker.free() as unknown as Promise<string>;
    await expect.poll(() => free().catch((e: { code: string }) => e.code), { timeout: 10_000 }).toBe('free');
    // A second subscription would run the work without the lock: it errors instead.
    await expect(firstValueFrom(ticks)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const failing = (await ticker.failing()) as Observable<never>;
    await expect(firstValueFrom(failing)).rejects.toThrow('boom');
    expect(await ticker.free()).toBe('free');
  });

  it('answers with the emitted value and holds the lock until the Observable completes', async () => {
    const replies = await Promise.all(Array.from({ length: 4 }, () => fetch(`${base}/obs`)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await Promise.all(replies.map((r) => r.text()))).toEqual(['done', 'done', 'done', 'done']);
    expect(peak).toBe(1);
    // The Observable's work runs with the call's lease available.
    expect(fences.every((f) => typeof f === 'number')).toBe(true);
  });
});
