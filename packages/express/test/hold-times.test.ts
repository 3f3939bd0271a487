// The Retry-After estimate: observed pace and queue depth when known, the lease bound before that.
import type { SemaphoreState } from '@lockstep/core';
import { describe, expect, it } from 'vitest';
import { estimateWaitMs } from '../src/hold-times.js';

function state(limit: number, waiting: number, expiresAt?: number): SemaphoreState {
  const holders = expiresAt === undefined ? [] : [{ expiresAt } as SemaphoreState['holders'][number]];
  return { limit, used: holders.length, holders, waiters: [], waiting };
}

describe('estimateWaitMs', () => {
  it('uses the mean hold and the queue ahead: meanHold x (waiting + 1) / limit', () => {
    expect(estimateWaitMs(state(4, 0, 10_000), 200, 0)).toBe(50);
    expect(estimateWaitMs(state(4, 11, 10_000), 200, 0)).toBe(600);
    expect(estimateWaitMs(state(1, 9, 10_000), 3_000, 0)).toBe(30_000);
  });

  it('falls back to the earliest lease expiry, or 1 s with no holder, before any release was seen', () => {
    expect(estimateWaitMs(state(2, 0, 7_500), undefined, 500)).toBe(7_000);
    expect(estimateWaitMs(state(2, 0), undefined, 500)).toBe(1_000);
  });
});
