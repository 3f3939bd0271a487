import { describe, expect, it } from 'vitest';
import { anySignal, fallbackFor } from '../src/job-facts.js';

describe('fallbackFor', () => {
  it('gives the head of the line the fallback delay, and stretches it (up to 12x) further back', () => {
    expect(fallbackFor(5_000, 0, 1)).toBe(5_000);
    expect(fallbackFor(5_000, 1, 2)).toBe(5_000);
    expect(fallbackFor(5_000, 2, 2)).toBe(10_000);
    expect(fallbackFor(5_000, 7, 1)).toBe(40_000);
    expect(fallbackFor(5_000, 10_000, 1)).toBe(60_000);
    expect(fallbackFor(5_000, -1, 1)).toBe(5_000);
  });
});

describe('anySignal', () => {
  it('aborts when either signal aborts, with that reason', () => {
    const a = new AbortController();
    const b = new AbortController();
    const both = anySignal([a.signal, b.signal]);
    expect(both.aborted).toBe(false);
    b.abort(new Error('lost'));
    expect(both.aborted).toBe(true);
    expect((both.reason as Error).message).toBe('lost');
  });
});
