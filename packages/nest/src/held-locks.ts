// Which @Locked and @Limited names the current async call chain is running inside. A nested call on
// a lock the chain holds would wait for itself (the lock is not re-entrant), and so would a nested
// @Limited call whose permits and the chain's own exceed the limit: both fail at once instead.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { GuardKind } from './busy.js';

/** One decorated call in progress, linked to the one it runs inside. */
export interface HeldFrame {
  readonly lockstep: object;
  readonly kind: GuardKind;
  readonly name: string;
  /** Permits the call holds (1 for a lock). */
  readonly weight: number;
  /** True while the method (or its Observable) runs; a task it left behind outlives it. */
  running: boolean;
  readonly outer: HeldFrame | undefined;
}

const frames = new AsyncLocalStorage<HeldFrame>();

/** Runs `fn` with `frame` as the innermost call of its chain. */
export function runInFrame<T>(frame: HeldFrame, fn: () => T): T {
  return frames.run(frame, fn);
}

/** A new frame for the `kind` limiter `name` of `lockstep`, holding `weight`, inside the current chain. */
export function newFrame(lockstep: object, kind: GuardKind, name: string, weight: number): HeldFrame {
  return { lockstep, kind, name, weight, running: true, outer: frames.getStore() };
}

/**
 * Permits that calls still running in this chain hold on the `kind` limiter `name` of `lockstep`
 * (for a lock: 1 per holding call). A lock and a semaphore of one name are different limiters.
 */
export function heldInChain(lockstep: object, kind: GuardKind, name: string): number {
  let held = 0;
  for (let frame = frames.getStore(); frame !== undefined; frame = frame.outer) {
    if (frame.running && frame.lockstep === lockstep && frame.kind === kind && frame.name === name)
      held += frame.weight;
  }
  return held;
}
