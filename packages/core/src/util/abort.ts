// One 'abort' listener per signal, however many waits share it. An AbortSignal is an EventTarget,
// whose addEventListener and removeEventListener scan every listener of the signal: with 10,000
// waits on one signal (a shutdown signal passed to every call) each add+remove costs about 75 µs,
// and a queue's grant rate would fall with its depth. Here each signal gets a single listener that
// calls a Set of callbacks, so adding and removing one is O(1).

const callbacks = new WeakMap<AbortSignal, Set<() => void>>();
const listeners = new WeakMap<Set<() => void>, () => void>();

/**
 * Calls `fn` once when `signal` aborts (never if it already has: check `signal.aborted` first).
 * Returns the function that removes it. Callbacks run in the order they were added. The signal's
 * one listener is removed with the last callback, so nothing stays attached to a caller's signal.
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
    listeners.set(created, listener);
    signal.addEventListener('abort', listener, { once: true });
    set = created;
  }
  const own = set;
  own.add(fn);
  return () => {
    if (!own.delete(fn) || own.size > 0 || callbacks.get(signal) !== own) return;
    callbacks.delete(signal);
    signal.removeEventListener('abort', listeners.get(own) as () => void);
  };
}
