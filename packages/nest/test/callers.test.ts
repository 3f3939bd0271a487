// How decorated methods are called in real code: nested in each other (re-entrant on one lock),
// from tasks they leave behind, and by many callers at once.
import 'reflect-metadata';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Limited, Locked, LockstepModule, LockstepTestingModule } from '../src/index.js';

@Injectable()
class Invoices {
  later: Promise<unknown> | undefined;

  @Locked((id: string) => `invoice:${id}`, { waitMs: 600_000 })
  async pay(id: string): Promise<unknown> {
    return await this.refund(id);
  }

  @Locked((id: string) => `invoice:${id}`, { waitMs: 600_000 })
  async refund(_id: string): Promise<string> {
    return 'refunded';
  }

  @Locked('cron', { onBusy: 'skip' })
  async tick(): Promise<unknown> {
    return await this.tickAgain();
  }

  @Locked('cron', { onBusy: 'skip' })
  async tickAgain(): Promise<string> {
    return 'ran';
  }

  @Locked((id: string) => `invoice:${id}`)
  async payThenRefundLater(id: string): Promise<void> {
    // A task it leaves behind: it runs after the lock was released, and must be able to take it.
    this.later = new Promise((resolve) => setTimeout(resolve, 20)).then(() => this.refund(id));
  }

  @Locked((id: string) => `invoice:${id}`)
  async payOther(id: string): Promise<unknown> {
    return await this.refund(`${id}-other`);
  }

  @Limited('exports', { limit: 1, waitMs: 600_000 })
  async export(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }

  @Limited('exports', { limit: 1, waitMs: 600_000 })
  async exportTwice(): Promise<void> {
    await this.export();
  }

  // A lock and a semaphore of one name are different limiters: they nest.
  @Limited('reports', { limit: 1, waitMs: 600_000 })
  async report(): Promise<unknown> {
    return await this.lockReports();
  }

  @Locked('reports', { waitMs: 600_000 })
  async lockReports(): Promise<unknown> {
    return await this.limitReports();
  }

  @Limited('reports', { limit: 2, waitMs: 600_000 })
  async limitReports(): Promise<string> {
    return 'reported';
  }

  @Limited('pool', { limit: 3, weight: (w: number) => w, waitMs: 600_000 })
  async pool(_weight: number, inner: number): Promise<unknown> {
    return inner > 0 ? await this.pool(inner, 0) : 'pooled';
  }
}

describe('callers', () => {
  let ref: TestingModule;
  let invoices: Invoices;
  beforeEach(async () => {
    ref = await Test.createTestingModule({
      imports: [LockstepTestingModule.forRoot()],
      providers: [Invoices],
    }).compile();
    await ref.init();
    invoices = ref.get(Invoices);
  });
  afterEach(async () => {
    await ref.close();
  });

  it('a nested call on a lock its own chain holds fails at once, naming the method, instead of waiting for itself', async () => {
    // Before: it waited waitMs (here 10 minutes) and then reported ERR_ACQUIRE_TIMEOUT, a 409 "busy".
    await expect(invoices.pay('42')).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/@Locked on Invoices\.refund: re-entrant call on the lock "invoice:42"/),
    });
    // ... and with onBusy 'skip' it does not silently skip the inner call.
    await expect(invoices.tick()).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    // The outer calls released their locks.
    expect(await invoices.refund('42')).toBe('refunded');
    expect(await invoices.tickAgain()).toBe('ran');
  }, 15_000);

  it('a nested @Limited call that the permits of its own chain would starve fails at once; one that fits nests', async () => {
    // limit 1, nested on itself: it would wait for its caller (here 10 minutes).
    await expect(invoices.exportTwice()).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(
        /@Limited on Invoices\.export: re-entrant call on the semaphore "exports": this call chain already holds 1 of its 1 permits and asks for 1 more/,
      ),
    });
    // limit 3: 1 + 1 fits, 2 + 2 does not.
    expect(await invoices.pool(1, 1)).toBe('pooled');
    await expect(invoices.pool(2, 2)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    // A semaphore and a lock of one name are different limiters; the outer calls released theirs.
    expect(await invoices.report()).toBe('reported');
    await invoices.export();
  }, 15_000);

  it('another key nests, and a task left behind takes the lock once the call released it', async () => {
    expect(await invoices.payOther('42')).toBe('refunded');
    await invoices.payThenRefundLater('7');
    expect(await invoices.later).toBe('refunded');
  });

  it('many callers waiting at once raise no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      await Promise.all(Array.from({ length: 50 }, () => invoices.export()));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});

// Counts every call of the weight function, per label: a user's weight function may be costly or
// have side effects, so each decorated call must evaluate it exactly once.
const weighed: string[] = [];
const weigh = (label: string, weight: number): number => {
  weighed.push(label);
  return weight;
};

@Injectable()
class Weighed {
  @Limited('weighed', { limit: 3, weight: weigh, waitMs: 600_000 })
  async outer(_label: string, _weight: number, inner: number): Promise<unknown> {
    return await this.inner('inner', inner);
  }

  @Limited('weighed', { limit: 3, weight: weigh, waitMs: 600_000 })
  async inner(_label: string, _weight: number): Promise<string> {
    return 'weighed';
  }
}

// Per-call values that core would refuse: each call must fail naming the method and the option.
@Injectable()
class PerCall {
  @Limited('per-call', { limit: 3, weight: (w: unknown) => w as number, waitMs: 1_000 })
  async weighs(_weight: unknown): Promise<string> {
    return 'ran';
  }

  @Limited('per-call', {
    limit: 3,
    priorities: ['high', 'low'],
    priority: (p: unknown) => p as number,
    waitMs: 1_000,
  })
  async ranks(_priority: unknown): Promise<string> {
    return 'ran';
  }
}

describe('callers on Redis', () => {
  let ref: TestingModule;
  let weighedService: Weighed;
  beforeEach(async () => {
    ref = await Test.createTestingModule({
      imports: [LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('callers') })],
      providers: [Weighed, PerCall],
    }).compile();
    await ref.init();
    weighedService = ref.get(Weighed);
    weighed.length = 0;
  });
  afterEach(async () => {
    await ref.close();
  });

  it('a nested @Limited call evaluates its weight function once, whether it fits or not', async () => {
    // Before: the nested call weighed itself once to check that it fits, and again to acquire.
    expect(await weighedService.outer('outer', 1, 1)).toBe('weighed');
    expect(weighed).toEqual(['outer', 'inner']);
    weighed.length = 0;
    await expect(weighedService.outer('outer', 2, 2)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(weighed).toEqual(['outer', 'inner']);
  });

  it('a weight or priority function that returns a value core would refuse fails the call naming the method', async () => {
    const calls = ref.get(PerCall);
    const at =
      'PerCall.weighs: expected the value its `weight` function returned to be an integer from 1 to 3 (the limit)';
    await expect(calls.weighs(0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(calls.weighs(0)).rejects.toThrow(`${at}, got 0`);
    await expect(calls.weighs(4)).rejects.toThrow(`${at}, got 4`);
    await expect(calls.weighs(1.5)).rejects.toThrow(`${at}, got 1.5`);
    await expect(calls.weighs('2')).rejects.toThrow(/PerCall\.weighs: .*`weight` function returned.*got "2"/);
    const rank = 'PerCall.ranks: expected the value its `priority` function returned to be';
    await expect(calls.ranks(0.5)).rejects.toThrow(`${rank} an integer from -1048576 to 1048576, got 0.5`);
    await expect(calls.ranks(true)).rejects.toThrow(`${rank} a number or a class name, got true`);
    await expect(calls.ranks('hgh')).rejects.toThrow(
      /PerCall\.ranks: unknown priority class "hgh" for `priority` \(did you mean "high"\?\)/,
    );
    // Good values still run, and nothing was left held or queued by the refused calls.
    expect(await calls.weighs(3)).toBe('ran');
    expect(await calls.ranks('low')).toBe('ran');
    expect(await calls.ranks(undefined)).toBe('ran');
  });
});
