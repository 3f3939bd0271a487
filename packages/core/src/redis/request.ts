// Bounds every Redis call in time and maps client failures to RedisUnavailableError.

import { LockstepError, RedisUnavailableError } from '../errors.js';
import { cancelDeadline, setDeadline } from './deadlines.js';
import { isRefusalMessage } from './refusal.js';
import { refusalHint } from './refusal-hint.js';

/** The caller's signal aborted a wait. */
export function abortedError(resource: string, signal: AbortSignal): LockstepError {
  return new LockstepError('ERR_ABORTED', `Acquiring "${resource}" was aborted`, { cause: signal.reason });
}

/**
 * Wraps any failure of a Redis call (already a LockstepError or not) as `ERR_REDIS`; a refusal of
 * the user (NOPERM, WRONGPASS, NOAUTH) also says what was refused and where the needed rules are.
 */
export function redisError(what: string, err: unknown, indeterminate: boolean): LockstepError {
  if (err instanceof LockstepError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const hint = isRefusalMessage(message) ? refusalHint(err) : '';
  return new RedisUnavailableError(`${what} failed: ${message}${hint}`, indeterminate, { cause: err });
}

/**
 * Awaits `promise` for at most `timeoutMs`. On timeout it rejects with an indeterminate
 * `ERR_REDIS`; the late outcome is swallowed (the caller cleans up by token). If `signal` aborts
 * first it rejects with `ERR_ABORTED`, within one deadline tick (5 ms, see deadlines.ts) of
 * the abort: the signal is polled, not listened to.
 */
export function bounded<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs: number,
  signal?: { readonly signal: AbortSignal; readonly resource: string },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = () => {
      done = true;
      cancelDeadline(deadline);
    };
    const onTimeout = () => {
      if (done) return;
      finish();
      reject(new RedisUnavailableError(`${what} got no reply within ${Math.round(timeoutMs)} ms`, true));
    };
    const onAbort = () => {
      if (done || !signal) return;
      finish();
      reject(abortedError(signal.resource, signal.signal));
    };
    const deadline = setDeadline(timeoutMs, onTimeout, signal && { signal: signal.signal, onAbort });
    promise.then(
      (value) => {
        if (done) return;
        finish();
        resolve(value);
      },
      (err: unknown) => {
        if (done) return;
        finish();
        reject(redisError(what, err, true));
      },
    );
  });
}
