// The Nest decorator's overhead: one provider method with @Locked and the same method undecorated,
// called in a real application context (NestFactory.createApplicationContext with
// LockstepModule.forRoot on the bench's server), sequentially, interleaved over rounds. Two bodies:
// an empty one (the decorator's whole cost shows) and a 1 ms timer (a small real job).
// Decorators are applied as functions, so this file needs no legacy-decorator compiler setting.
import 'reflect-metadata';
import { Locked, LockstepModule } from '@lockstep/nest';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { TTL_MS } from '../config.js';
import { type BenchContext, flushAll } from '../context.js';
import { closeClients, openClients } from '../infra/clients.js';
import { median } from '../infra/stats.js';
import type { IntegrationRow } from '../results.js';

const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The provider: each body twice, once to be decorated. */
class Work {
  async plainEmpty(): Promise<number> {
    return 1;
  }
  async lockedEmpty(): Promise<number> {
    return 1;
  }
  async plainTimer(): Promise<number> {
    await hold(1);
    return 1;
  }
  async lockedTimer(): Promise<number> {
    await hold(1);
    return 1;
  }
}

function decorate(method: keyof Work, key: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(Work.prototype, method);
  if (!descriptor) throw new Error(`nest: no method ${method}`);
  Locked(key, { ttlMs: TTL_MS })(Work.prototype, method, descriptor);
  Object.defineProperty(Work.prototype, method, descriptor);
}
Injectable()(Work);
decorate('lockedEmpty', 'bench:nest:empty');
decorate('lockedTimer', 'bench:nest:timer');

type Method = keyof Work;
const SHAPES: readonly { name: string; plain: Method; locked: Method }[] = [
  { name: 'empty method body', plain: 'plainEmpty', locked: 'lockedEmpty' },
  { name: 'method body awaits a 1 ms timer', plain: 'plainTimer', locked: 'lockedTimer' },
];

/** Calls `method` back to back for `ms` and returns calls per second. */
async function callsPerSec(work: Work, method: Method, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let calls = 0;
  const started = performance.now();
  while (performance.now() < end) {
    await work[method]();
    calls++;
    // An empty undecorated body never yields to the event loop otherwise.
    if (calls % 1_024 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return calls / ((performance.now() - started) / 1_000);
}

export async function nestWorkload(ctx: BenchContext): Promise<IntegrationRow[]> {
  await flushAll(ctx.single);
  const clients = await openClients(ctx.single.urls);
  const redis = clients[0] as Redis;
  class AppModule {}
  Module({ imports: [LockstepModule.forRoot({ redis })], providers: [Work] })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const rates = new Map<Method, number[]>();
  const windowMs = ctx.profile.uncontendedMs;
  try {
    const work = app.get(Work);
    for (const shape of SHAPES) {
      await callsPerSec(work, shape.plain, ctx.profile.uncontendedWarmupMs / 2);
      await callsPerSec(work, shape.locked, ctx.profile.uncontendedWarmupMs / 2);
    }
    for (let round = 0; round < ctx.profile.rounds; round++) {
      for (const shape of SHAPES) {
        const order = round % 2 === 0 ? [shape.plain, shape.locked] : [shape.locked, shape.plain];
        for (const method of order) {
          const rate = await callsPerSec(work, method, windowMs);
          rates.set(method, [...(rates.get(method) ?? []), rate]);
          ctx.log(`  nest r${round + 1} ${method}: ${Math.round(rate)} calls/s`);
        }
      }
    }
  } finally {
    await app.close();
    await closeClients(clients);
  }
  return SHAPES.flatMap((shape) => {
    const without = median(rates.get(shape.plain) ?? []);
    const value = median(rates.get(shape.locked) ?? []);
    const common = {
      integration: 'Nest decorator call (@Locked)',
      shape: `provider method, sequential calls, ${shape.name}`,
    };
    return [
      { ...common, metric: 'calls/s', without, with: value, ratio: value / without, better: 'higher' as const },
      {
        ...common,
        metric: 'µs per call',
        without: 1e6 / without,
        with: 1e6 / value,
        ratio: without / value,
        better: 'lower' as const,
      },
    ];
  });
}
