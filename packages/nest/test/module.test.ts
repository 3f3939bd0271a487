// LockstepModule: forRoot/forRootAsync, global by default, one backend per application, and
// shutdown: a module-owned client is closed, a passed client is not.
import 'reflect-metadata';
import { isLockstepError, Lockstep } from '@lockstep/core';
import { freePort, type RedisServer, startRedisServer, uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Locked, LockstepModule } from '../src/index.js';

@Injectable()
class UsesLockstep {
  constructor(@Inject(Lockstep) readonly lockstep: Lockstep) {}
}

@Module({ providers: [UsesLockstep], exports: [UsesLockstep] })
class FeatureModule {}

@Injectable()
class Exclusive {
  release: () => void = () => undefined;

  @Locked('same', { onBusy: 'throw' })
  async hold(entered: () => void): Promise<string> {
    entered();
    await new Promise<void>((resolve) => {
      this.release = resolve;
    });
    return 'done';
  }

  @Locked('same', { waitMs: 30_000 })
  async wait(): Promise<string> {
    return 'waited';
  }
}

@Injectable()
class Slow {
  entered: () => void = () => undefined;

  @Locked('drain', { waitMs: 30_000 })
  async run(ms: number): Promise<string> {
    this.entered();
    await new Promise((resolve) => setTimeout(resolve, ms));
    return 'done';
  }
}

@Injectable()
class Quick {
  @Locked('quick', { waitMs: 300 })
  async run(): Promise<string> {
    return 'ran';
  }
}

const REDIS_URL = Symbol('REDIS_URL');

@Module({ providers: [{ provide: REDIS_URL, useValue: '' }], exports: [REDIS_URL] })
class ConfigModule {}

async function clientCount(port: number): Promise<number> {
  const observer = new Redis(port, '127.0.0.1');
  try {
    const list = (await observer.client('LIST')) as string;
    return list.trim().split('\n').length - 1; // without the observer itself
  } finally {
    observer.disconnect();
  }
}

describe('LockstepModule', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('is global by default and provides core’s Lockstep for injection', async () => {
    const ref = await Test.createTestingModule({
      imports: [LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('glob') }), FeatureModule],
    }).compile();
    expect(ref.get(UsesLockstep).lockstep).toBeInstanceOf(Lockstep);
    await ref.close();
  });

  it('isGlobal: false keeps it to the modules that import it', async () => {
    const compile = Test.createTestingModule({
      imports: [
        LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('loc'), isGlobal: false }),
        FeatureModule,
      ],
    }).compile();
    await expect(compile).rejects.toThrow(/Lockstep/);
  });

  it('options given as undefined are absent: global by default, with default HTTP and core settings', async () => {
    const unset = undefined;
    const core = { requestTimeoutMs: unset, driftFactor: unset, onError: unset, quorum: unset, stats: unset };
    const ref = await Test.createTestingModule({
      imports: [
        LockstepModule.forRoot({
          redis: standaloneClient(),
          prefix: uniquePrefix('unset'),
          ...core,
          http: unset,
          shutdownTimeoutMs: unset,
          isGlobal: unset,
        }),
        FeatureModule,
      ],
    }).compile();
    expect(ref.get(UsesLockstep).lockstep).toBeInstanceOf(Lockstep);
    await ref.close();
    const asyncRef = await Test.createTestingModule({
      imports: [
        LockstepModule.forRootAsync({
          useFactory: () => ({
            redis: standaloneClient(),
            prefix: uniquePrefix('unset'),
            http: { lockedStatus: unset },
          }),
          isGlobal: unset,
        }),
        FeatureModule,
      ],
    }).compile();
    expect(asyncRef.get(UsesLockstep).lockstep).toBeInstanceOf(Lockstep);
    await asyncRef.close();
  });

  it('never quits a client it was given', async () => {
    const redis = new Redis(server.port, '127.0.0.1');
    const ref = await Test.createTestingModule({
      imports: [LockstepModule.forRoot({ redis, prefix: uniquePrefix('given') })],
      providers: [Exclusive],
    }).compile();
    await ref.init();
    await contend(ref.get(Exclusive));
    await ref.close();
    expect(redis.status).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
    redis.disconnect();
  });

  it('forRootAsync with a URL: the module owns the client and closes it (and the subscriber) on shutdown', async () => {
    const ref = await Test.createTestingModule({
      imports: [
        LockstepModule.forRootAsync({
          imports: [ConfigModule],
          inject: [REDIS_URL],
          useFactory: () => ({ redis: `redis://127.0.0.1:${server.port}`, prefix: uniquePrefix('owned') }),
        }),
      ],
      providers: [Exclusive],
    }).compile();
    await ref.init();
    await contend(ref.get(Exclusive)); // a waiter makes Lockstep open its subscriber connection
    expect(await clientCount(server.port)).toBeGreaterThanOrEqual(2);
    await ref.close();
    for (let i = 0; i < 100 && (await clientCount(server.port)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await clientCount(server.port)).toBe(0);
  });

  it('closes a module-owned client whose Redis is unreachable: app.close() never waits for Redis to return', async () => {
    // Nothing listens on this port: the calls below fail with ERR_REDIS and leave commands in
    // ioredis's offline queue, where a QUIT would wait behind them for as long as Redis is down.
    const port = await freePort();
    const ref = await Test.createTestingModule({
      imports: [
        LockstepModule.forRoot({ redis: `redis://127.0.0.1:${port}`, requestTimeoutMs: 200, onError: () => undefined }),
      ],
      providers: [Quick],
    }).compile();
    await ref.init();
    const error = await ref
      .get(Quick)
      .run()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(isLockstepError(error, 'ERR_REDIS')).toBe(true);
    const started = performance.now();
    const closed = await Promise.race([
      ref.close().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 3_000)),
    ]);
    expect(closed, 'app.close() resolved within 3 s').toBe(true);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('app.close() lets running calls finish and release; queued calls end with ERR_ABORTED', async () => {
    const prefix = uniquePrefix('drain');
    const ref = await Test.createTestingModule({
      imports: [LockstepModule.forRoot({ redis: `redis://127.0.0.1:${server.port}`, prefix })],
      providers: [Slow],
    }).compile();
    await ref.init();
    const slow = ref.get(Slow);
    const inside = new Promise<void>((resolve) => {
      slow.entered = resolve;
    });
    const running = slow.run(400);
    await inside;
    const queued = slow.run(0).then(
      () => undefined,
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = ref.close();
    expect(await running).toBe('done');
    expect(isLockstepError(await queued, 'ERR_ABORTED')).toBe(true);
    await closing;
    const observer = new Redis(server.port, '127.0.0.1');
    const inspector = new Lockstep({ redis: observer, prefix });
    expect((await inspector.lock('drain').inspect()).held).toBe(false); // released, not left to expire
    await inspector.close();
    observer.disconnect();
  });

  it('two applications in one process each use their own backend', async () => {
    const apps = await Promise.all(
      ['one', 'two'].map(async (name) => {
        const ref = await Test.createTestingModule({
          imports: [LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix(name) })],
          providers: [Exclusive],
        }).compile();
        await ref.init();
        return ref;
      }),
    );
    const [first, second] = apps.map((ref) => ref.get(Exclusive)) as [Exclusive, Exclusive];
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const held = first.hold(entered);
    await inside;
    // Same lock name, other application: its own prefix, so not busy.
    let enteredSecond: () => void = () => undefined;
    const insideSecond = new Promise<void>((resolve) => {
      enteredSecond = resolve;
    });
    const heldSecond = second.hold(enteredSecond);
    await insideSecond;
    first.release();
    second.release();
    expect(await Promise.all([held, heldSecond])).toEqual(['done', 'done']);
    for (const ref of apps) await ref.close();
  });

  it('passes core options through: stats records grant rates, requestTimeoutMs and driftFactor reach core', async () => {
    const prefix = uniquePrefix('stats');
    const errors: unknown[] = [];
    const ref = await Test.createTestingModule({
      imports: [
        LockstepModule.forRoot({
          redis: standaloneClient(),
          prefix,
          stats: true,
          requestTimeoutMs: 2_000,
          driftFactor: 0.02,
          onError: (e) => errors.push(e),
        }),
      ],
    }).compile();
    await ref.init();
    const lockstep = ref.get(Lockstep);
    const lease = await lockstep.lock('rated', { ttlMs: 5_000 }).acquire();
    // driftFactor 0.02 of 5 s is 100 ms (+2 ms): the window is at most 4.898 s long.
    expect(lease.remainingMs).toBeLessThanOrEqual(4_898);
    await lease.release();
    // Stats are flushed to Redis about once a second; poll instead of sleeping a fixed time.
    const admin = standaloneClient();
    let keys: string[] = [];
    for (let i = 0; i < 100 && keys.length === 0; i++) {
      keys = await admin.keys(`{${prefix}:l:rated}:r:*`);
      if (keys.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(keys.length).toBeGreaterThan(0);
    admin.disconnect();
    await ref.close();
    expect(errors).toEqual([]);
  });

  it('rejects bad options at startup with ERR_INVALID_ARGUMENT', async () => {
    for (const [options, message] of [
      [{ redis: 'localhost:6379' }, 'expected `redis` to be a client or a redis:// URL'],
      [{ redis: standaloneClient(), prefx: 'x' }, 'did you mean `prefix`'],
      [{ redis: standaloneClient(), http: { lockedStatus: 1 } }, '`http.lockedStatus`'],
      [{ redis: standaloneClient(), stat: true }, 'did you mean `stats`'],
      [{ redis: standaloneClient(), stats: 'yes' }, 'stats'],
      [{ redis: standaloneClient(), requestTimeoutMs: -1 }, 'requestTimeoutMs'],
    ] as const) {
      const compile = Test.createTestingModule({ imports: [LockstepModule.forRoot(options as never)] }).compile();
      const error = await compile.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isLockstepError(error, 'ERR_INVALID_ARGUMENT'), message).toBe(true);
      expect((error as Error).message).toContain(message);
    }
  });
});

async function contend(exclusive: Exclusive): Promise<void> {
  let entered: () => void = () => undefined;
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const held = exclusive.hold(entered);
  await inside;
  const waiter = exclusive.wait();
  await new Promise((resolve) => setTimeout(resolve, 100));
  exclusive.release();
  expect(await Promise.all([held, waiter])).toEqual(['done', 'waited']);
}
