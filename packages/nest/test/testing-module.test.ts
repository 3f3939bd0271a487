// LockstepTestingModule: the decorators over core's in-memory backend, with no Redis at all, still
// enforce exclusion, limits and priority order.
import 'reflect-metadata';
import { Lockstep } from '@lockstep/core';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLease, Limited, Locked, LockstepTestingModule } from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
class Exports {
  active = 0;
  maxActive = 0;
  order: string[] = [];
  gate: Promise<void> = Promise.resolve();

  async #track(ms: number): Promise<number | undefined> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    await sleep(ms);
    this.active--;
    return currentLease()?.fence;
  }

  @Locked((invoiceId: string) => `invoice:${invoiceId}`)
  async pay(_invoiceId: string): Promise<number | undefined> {
    return await this.#track(2);
  }

  @Limited('exports', { limit: 2 })
  async export(): Promise<number | undefined> {
    return await this.#track(5);
  }

  @Locked('nightly', { onBusy: 'skip' })
  async nightly(): Promise<string> {
    await this.gate;
    return 'ran';
  }

  @Limited('queue', { limit: 1, priorities: ['critical', 'bulk'], priority: (_label: string, p: string) => p })
  async queued(label: string, _priority: string): Promise<void> {
    this.order.push(label);
    await this.gate;
  }
}

describe('LockstepTestingModule (no Redis)', () => {
  let ref: TestingModule;
  let exportsService: Exports;

  beforeAll(async () => {
    ref = await Test.createTestingModule({
      imports: [LockstepTestingModule.forRoot()],
      providers: [Exports],
    }).compile();
    await ref.init();
    exportsService = ref.get(Exports);
  });

  afterAll(async () => {
    await ref.close();
  });

  it('@Locked excludes concurrent calls, with increasing fences', async () => {
    exportsService.maxActive = 0;
    const fences = await Promise.all(Array.from({ length: 20 }, () => exportsService.pay('42')));
    expect(exportsService.maxActive).toBe(1);
    expect(new Set(fences).size).toBe(20);
  });

  it('@Limited never runs more than `limit` at once', async () => {
    exportsService.maxActive = 0;
    await Promise.all(Array.from({ length: 10 }, () => exportsService.export()));
    expect(exportsService.maxActive).toBe(2);
  });

  it("onBusy 'skip' skips while another call holds the lock", async () => {
    let open: () => void = () => undefined;
    exportsService.gate = new Promise((resolve) => {
      open = resolve;
    });
    const first = exportsService.nightly();
    await sleep(5);
    expect(await exportsService.nightly()).toBeUndefined();
    open();
    expect(await first).toBe('ran');
  });

  it('@Limited serves queued calls by priority, then in arrival order', async () => {
    let open: () => void = () => undefined;
    exportsService.gate = new Promise((resolve) => {
      open = resolve;
    });
    exportsService.order = [];
    const calls = [exportsService.queued('hold', 'bulk')];
    await sleep(5);
    for (const [label, priority] of [
      ['b1', 'bulk'],
      ['c1', 'critical'],
      ['b2', 'bulk'],
      ['c2', 'critical'],
    ] as const) {
      calls.push(exportsService.queued(label, priority));
      await sleep(5);
    }
    expect(exportsService.order).toEqual(['hold']);
    open();
    await Promise.all(calls);
    expect(exportsService.order).toEqual(['hold', 'c1', 'c2', 'b1', 'b2']);
  });

  it('injects the in-memory Lockstep, and closing the module closes it', async () => {
    const lockstep = ref.get(Lockstep);
    const lease = await lockstep.lock('manual').acquire();
    expect(await lockstep.lock('manual').tryAcquire()).toBeNull();
    await lease.release();
    const other = await Test.createTestingModule({ imports: [LockstepTestingModule.forRoot()] }).compile();
    const closing = other.get(Lockstep);
    await other.close();
    expect(() => closing.lock('x')).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });
});
