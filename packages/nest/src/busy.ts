// Remembers which decorator an error came from, so HTTP can answer 409 (lock) or 503 (limit).
import type { LockstepError } from '@lockstep/core';

/** Which decorator raised an error. */
export type GuardKind = 'lock' | 'limit';

const origins = new WeakMap<object, GuardKind>();

/** Records that `error` was raised by a decorator of `kind`; returns it. */
export function markOrigin<E>(error: E, kind: GuardKind): E {
  if (typeof error === 'object' && error !== null && !origins.has(error)) origins.set(error, kind);
  return error;
}

/** The decorator that raised `error`, if one of ours did. */
export function originOf(error: LockstepError): GuardKind | undefined {
  return origins.get(error);
}
