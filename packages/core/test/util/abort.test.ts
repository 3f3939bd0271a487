// onAbort: one listener per signal however many waits share it, callbacks in order, O(1) removal.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort } from '../../src/util/abort.js';

describe('onAbort', () => {
  it('puts one listener on the signal for any number of callbacks, and calls them in order', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const stops = Array.from({ length: 1_000 }, (_, i) => onAbort(controller.signal, () => calls.push(i)));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    // Removed callbacks are not called; the others run once, in the order they were added.
    for (let i = 0; i < 1_000; i += 2) stops[i]?.();
    controller.abort();
    controller.abort();
    expect(calls).toEqual(Array.from({ length: 500 }, (_, i) => 2 * i + 1));
  });

  it('removing a callback twice, or after the abort, is harmless; a new callback after the abort never runs', () => {
    const controller = new AbortController();
    let count = 0;
    const stop = onAbort(controller.signal, () => count++);
    controller.abort();
    stop();
    stop();
    onAbort(controller.signal, () => count++);
    expect(count).toBe(1);
  });

  it('the one listener stays between callbacks, so sequential waits on one signal never add another', () => {
    const controller = new AbortController();
    const stops = [onAbort(controller.signal, () => undefined), onAbort(controller.signal, () => undefined)];
    stops[0]?.();
    stops[1]?.();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    let called = 0;
    for (let i = 0; i < 100; i++) onAbort(controller.signal, () => called++)();
    onAbort(controller.signal, () => called++);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(called).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('signals are independent', () => {
    const a = new AbortController();
    const b = new AbortController();
    const seen: string[] = [];
    onAbort(a.signal, () => seen.push('a'));
    onAbort(b.signal, () => seen.push('b'));
    b.abort();
    expect(seen).toEqual(['b']);
    a.abort();
    expect(seen).toEqual(['b', 'a']);
  });
});
