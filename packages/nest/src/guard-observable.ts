// A decorated method that returned an Observable does its work when it is subscribed (Nest routes,
// microservice handlers, @nestjs/axios), after the method returned: hold the lease until then.

import { InvalidArgumentError } from '@lockstep/core';
import { Observable } from 'rxjs';

/** How a guarded Observable's lease ends. */
export interface ObservableGuard {
  /** Runs a function with the call's lease as `currentLease()` and its lock marked as held. */
  readonly inside: <R>(fn: () => R) => R;
  /** `@Locked on Class.method`, for error messages. */
  readonly where: string;
  /** Longest wait for the first subscription before the lease is given back, ms. */
  readonly orphanMs: number;
  /** After completion: stop extending, reject if the lease was lost, release (or keep for minHoldMs). */
  readonly settle: () => Promise<void>;
  /** After an error or an unsubscription: stop extending and release, never rejecting. */
  readonly abandon: () => Promise<void>;
  /** Registers the subscription's life, so application shutdown waits for it. */
  readonly track: (ended: Promise<unknown>) => void;
}

/**
 * Wraps `source` so that its first subscription runs under the lease (with `currentLease()`), and
 * the lease ends exactly once: when it completes (`ERR_LEASE_LOST` is emitted as the error if the
 * lease was lost meanwhile), errors or is unsubscribed. Nobody subscribing within `orphanMs` gives
 * the lease back; a later or second subscription errors with `ERR_INVALID_ARGUMENT` instead of
 * running the work unprotected.
 */
export function guardObservable<T>(source: Observable<T>, guard: ObservableGuard): Observable<T> {
  let state: 'fresh' | 'running' | 'done' = 'fresh';
  let ended: Promise<void> | undefined;
  const end = (how: () => Promise<void>): Promise<void> => {
    state = 'done';
    ended ??= how();
    return ended;
  };
  let markEnded: () => void = () => undefined;
  guard.track(
    new Promise<void>((resolve) => {
      markEnded = resolve;
    }),
  );
  const orphan = setTimeout(() => {
    if (state === 'fresh') void end(guard.abandon).finally(markEnded);
  }, guard.orphanMs);
  orphan.unref();
  return new Observable<T>((subscriber) => {
    if (state !== 'fresh') {
      subscriber.error(
        new InvalidArgumentError(
          `${guard.where}: the Observable it returned runs under its lease once; subscribe to it once, within ${guard.orphanMs} ms`,
        ),
      );
      return undefined;
    }
    state = 'running';
    clearTimeout(orphan);
    const inner = guard.inside(() =>
      source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          void end(guard.abandon)
            .finally(markEnded)
            .then(() => subscriber.error(error));
        },
        complete: () => {
          void end(guard.settle)
            .finally(markEnded)
            .then(
              () => subscriber.complete(),
              (error: unknown) => subscriber.error(error),
            );
        },
      }),
    );
    return () => {
      inner.unsubscribe();
      if (state === 'running') void end(guard.abandon).finally(markEnded);
    };
  });
}
