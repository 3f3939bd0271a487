// A decorated method that is a generator (or returns one): its body runs as the caller iterates,
// after the decorated call resolved and gave its lease back, so two callers ran it at once under
// `@Limited({ limit: 1 })`. Either the decorator refuses it (ERR_INVALID_ARGUMENT naming the method)
// or the body runs under the lease; it must never run unprotected. Real Nest application, real Redis.
import 'reflect-metadata';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { expect, it } from 'vitest';
import { Limited, LockstepModule } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts how many bodies run at once. */
class Meter {
  active = 0;
  max = 0;
  enter(): void {
    this.active++;
    this.max = Math.max(this.max, this.active);
  }
  leave(): void {
    this.active--;
  }
}

async function* rowsOf(meter: Meter): AsyncGenerator<number> {
  meter.enter();
  try {
    for (let i = 0; i < 3; i++) {
      await sleep(30);
      yield i;
    }
  } finally {
    meter.leave();
  }
}

/** Calls `call` twice at once and iterates both results; resolves with the errors seen. */
async function twoConsumers(call: () => unknown): Promise<unknown[]> {
  const errors: unknown[] = [];
  await Promise.all(
    [0, 1].map(async () => {
      try {
        const rows = (await call()) as AsyncIterable<number>;
        for await (const _ of rows) {
          // consume
        }
      } catch (error) {
        errors.push(error);
      }
    }),
  );
  return errors;
}

async function withApp<T>(provider: new (...args: never[]) => T, run: (service: T) => Promise<void>): Promise<void> {
  @Module({
    imports: [LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('gen') })],
    providers: [provider],
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  try {
    await run(app.get(provider));
  } finally {
    await app.close();
  }
}

function refusedByName(error: unknown, where: string): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === 'ERR_INVALID_ARGUMENT' && String(e.message).includes(where);
}

it('an async generator method: refused at definition, or its body runs under the limit', async () => {
  const meter = new Meter();
  let Service: (new () => { rows(): AsyncGenerator<number> }) | undefined;
  try {
    @Injectable()
    class GenService {
      @Limited('gen-rows', { limit: 1, waitMs: 10_000 })
      async *rows(): AsyncGenerator<number> {
        yield* rowsOf(meter);
      }
    }
    Service = GenService;
  } catch (error) {
    expect(refusedByName(error, 'GenService.rows')).toBe(true);
    return;
  }
  await withApp(Service, async (service) => {
    const errors = await twoConsumers(() => service.rows());
    expect(errors).toEqual([]);
    expect(meter.max).toBe(1);
  });
});

it('a method returning a generator: rejected by name, or the generator runs under the limit', async () => {
  const meter = new Meter();
  @Injectable()
  class StreamService {
    @Limited('gen-stream', { limit: 1, waitMs: 10_000 })
    async stream(): Promise<AsyncGenerator<number>> {
      return rowsOf(meter);
    }
  }
  await withApp(StreamService, async (service) => {
    const errors = await twoConsumers(() => service.stream());
    if (errors.length > 0) {
      expect(errors.every((e) => refusedByName(e, 'StreamService.stream'))).toBe(true);
      expect(meter.max).toBe(0);
      return;
    }
    expect(meter.max).toBe(1);
  });
});
