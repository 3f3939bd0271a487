// Which @Locked names the current async call chain is running inside: a nested call on one of them
// would wait for itself (the lock is not re-entrant), so it fails at once instead.
import { AsyncLocalStorage } from 'node:async_hooks';

/** One decorated call in progress, linked to the one it runs inside. */
export interface HeldFrame {
  readonly lockstep: object;
  readonly name: string;
  /** True while the method (or its Observable) runs; a task it left behind outlives it. */
  running: boolean;
  readonly outer: HeldFrame | undefined;
}

const frames = new AsyncLocalStorage<HeldFrame>();

/** Runs `fn` with `frame` as the innermost call of its chain. */
export function runInFrame<T>(frame: HeldFrame, fn: () => T): T {
  return frames.run(frame, fn);
}

/** A new frame for `name` of `lockstep`, inside the current chain. */
export function newFrame(lockstep: object, name: string): HeldFrame {
  return { lockstep, name, running: true, outer: frames.getStore() };
}

/** True when a call still running in this chain holds the lock `name` of `lockstep`. */
export function holdsLock(lockstep: object, name: string): boolean {
  for (let frame = frames.getStore(); frame !== undefined; frame = frame.outer) {
    if (frame.running && frame.lockstep === lockstep && frame.name === name) return true;
  }
  return false;
}
