// One 'abort' listener per signal, however many waits share it. An AbortSignal is an EventTarget,
// whose addEventListener and removeEventListener scan every listener of the signal: with 10,000
// waits on one signal (a shutdown signal passed to every call) each add+remove costs about 75 µs,
// and a queue's grant rate would fall with its depth. Here each signal gets a single listener that
// calls a Set of callbacks, so adding and removing one is O(1). The listener stays until the signal
// aborts: one signal shared by sequential calls (an application's shutdown signal) would otherwise
// pay an add and a remove, about 10 µs, on every call.

const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `fn` once when `signal` aborts (never if it already has: check `signal.aborted` first).
 * Returns the function that removes it. Callbacks run in the order they were added. The signal
 * keeps one small listener (calling nothing once its callbacks are removed) until it aborts or is
 * garbage-collected.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = callbacks.get(signal);
  if (!set) {
    const created = new Set<() => void>();
    const listener = () => {
      callbacks.delete(signal);
      for (const callback of [...created]) callback();
    };
    callbacks.set(signal, created);
    signal.addEventListener('abort', listener, { once: true });
    set = created;
  }
  const own = set;
  own.add(fn);
  return () => {
    own.delete(fn);
  };
}
