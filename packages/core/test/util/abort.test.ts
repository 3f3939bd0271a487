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

  it('the listener leaves the signal with the last callback, and comes back with the next', () => {
    const controller = new AbortController();
    const stops = [onAbort(controller.signal, () => undefined), onAbort(controller.signal, () => undefined)];
    stops[0]?.();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    stops[1]?.();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    let called = false;
    onAbort(controller.signal, () => {
      called = true;
    });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(called).toBe(true);
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
