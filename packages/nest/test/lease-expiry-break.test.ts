// A lease that runs out while the method runs, with no timer to say so: without auto-extension
// (no extension timer is armed) or under a method that blocks the event loop past `ttlMs` (the
// timer fires too late). The work ran partly unprotected, so the call must reject ERR_LEASE_LOST,
// as it does when a timer reports the loss.
import 'reflect-metadata';
import { isLockstepError } from '@lockstep/core';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { Limited, Locked, LockstepModule, LockstepTestingModule } from '../src/index.js';
import { listenApp } from './support/http-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a CPU-bound method: no timer runs meanwhile
  }
}

@Injectable()
class Reports {
  inside = 0;
  most = 0;

  @Locked('rollup', { autoExtend: false, ttlMs: 200 })
  async rollup(): Promise<string> {
    this.inside++;
    this.most = Math.max(this.most, this.inside);
    await sleep(500);
    this.inside--;
    return 'done';
  }

  @Limited('exports', { limit: 1, autoExtend: false, ttlMs: 200 })
  async export(): Promise<string> {
    await sleep(500);
    return 'done';
  }

  @Locked('crunch', { ttlMs: 200 })
  crunch(): string {
    blockFor(500);
    return 'done';
  }

  @Locked('quick', { autoExtend: false, ttlMs: 2_000 })
  async quick(): Promise<string> {
    await sleep(20);
    return 'done';
  }
}

async function outcome(call: unknown): Promise<string> {
  try {
    return `resolved ${String(await call)}`;
  } catch (error) {
    return isLockstepError(error) ? error.code : String(error);
  }
}

describe.each([
  ['Redis', () => LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('expiry') })],
  ['the testing module', () => LockstepTestingModule.forRoot()],
] as const)('a lease that ran out while the method ran, on %s', (_label, lockstepModule) => {
  let reports: Reports;
  let close: () => Promise<void> = async () => undefined;

  afterAll(async () => close());

  it('rejects ERR_LEASE_LOST, though the method resolved (autoExtend: false), and a second caller got in', async () => {
    const ref = await Test.createTestingModule({ imports: [lockstepModule()], providers: [Reports] }).compile();
    await ref.init();
    close = () => ref.close();
    reports = ref.get(Reports);
    const first = outcome(reports.rollup());
    await sleep(300); // past the first call's 200 ms lease: the second is granted while it still runs
    const second = outcome(reports.rollup());
    expect(await first).toBe('ERR_LEASE_LOST');
    expect(await second).toBe('ERR_LEASE_LOST');
    expect(reports.most).toBe(2);
    expect(await outcome(reports.export())).toBe('ERR_LEASE_LOST');
    // A call that ends inside its window still resolves.
    expect(await outcome(reports.quick())).toBe('resolved done');
  });

  it('rejects ERR_LEASE_LOST when the method blocked the event loop past ttlMs (no extension could run)', async () => {
    expect(await outcome(reports.crunch())).toBe('ERR_LEASE_LOST');
  });
});

@Controller()
class SlowController {
  @Get('slow')
  @Locked('slow-route', { autoExtend: false, ttlMs: 200 })
  async slow(): Promise<string> {
    await sleep(500);
    return 'done';
  }
}

it('a route handler whose lease ran out while it ran answers 503, not 200', async () => {
  @Module({
    imports: [LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('expiry-http') })],
    controllers: [SlowController],
  })
  class AppModule {}
  const { app, base } = await listenApp(AppModule, 'express');
  try {
    const reply = await fetch(`${base}/slow`);
    expect(reply.status).toBe(503);
    expect(((await reply.json()) as { code: string }).code).toBe('ERR_LEASE_LOST');
  } finally {
    await app.close();
  }
});
