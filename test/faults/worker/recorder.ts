// Records what one worker process believed: every acquire, extend and release as invoke then
// grant/extend/ok/fail, and every loss the lease reported through `signal` or `onLost`.
import { isLockstepError, type LostCallback } from '../../../packages/core/src/index.js';
import { type HistoryOp, HistoryWriter, hostNow } from '../../support/history.js';
import type { HeldLease } from './impl.js';

/** How an error is recorded: its stable code, or the class of an unexpected error. */
export function errorCode(err: unknown): string {
  if (isLockstepError(err)) return err.code;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_')) return code;
  return `UNEXPECTED:${err instanceof Error ? err.name : typeof err}`;
}

/** Appends one process's events; `onLost` hooks tell the parent at once. */
export class Recorder {
  readonly #history: HistoryWriter;
  #counter = 0;

  constructor(
    path: string,
    private readonly label: string,
    private readonly notifyLost: (id: string, t: number, reason: string) => void,
  ) {
    this.#history = new HistoryWriter(path);
  }

  /** A fresh lease id for contender `w`. */
  nextId(w: string): string {
    return `${w}.${this.#counter++}`;
  }

  /** Label of contender `index` of this process. */
  worker(index: number | string): string {
    return `${this.label}.${index}`;
  }

  invoke(op: HistoryOp, id: string, name: string, w: string): number {
    const t = hostNow();
    this.#history.write({ e: 'invoke', op, id, name, t, w });
    return t;
  }

  fail(op: HistoryOp, id: string, name: string, w: string, err: unknown): string {
    const code = errorCode(err);
    const indeterminate = (err as { indeterminate?: unknown } | undefined)?.indeterminate;
    this.#history.write({
      e: 'fail',
      op,
      id,
      name,
      t: hostNow(),
      code,
      w,
      ...(typeof indeterminate === 'boolean' ? { indeterminate } : {}),
    });
    return code;
  }

  /** An `onLost` callback that records the loss of lease `id` (the id is known before the grant). */
  onLost(id: string): LostCallback {
    return (error) => this.#lost(id, `onLost:${error.reason}`);
  }

  /** Records a grant and watches its signal. */
  grant(id: string, name: string, w: string, lease: HeldLease, weight: number, invoked: number, ttl: number): void {
    const t = hostNow();
    const fence = lease.fence ?? null;
    this.#history.write({ e: 'grant', id, name, fence, weight, t, v: t + lease.remainingMs, w, i: invoked, ttl });
    const signal = lease.signal;
    if (signal.aborted) this.#lost(id, 'signal');
    else signal.addEventListener('abort', () => this.#lost(id, 'signal'), { once: true });
  }

  extended(id: string, invoked: number, lease: HeldLease): void {
    const t = hostNow();
    this.#history.write({ e: 'extend', id, t, i: invoked, v: t + lease.remainingMs });
  }

  /** Release invoked: the window ends here at the latest. */
  releasing(id: string): void {
    this.#history.write({ e: 'release', id, t: hostNow() });
  }

  released(id: string, released: boolean): void {
    this.#history.write({ e: 'ok', op: 'release', id, t: hostNow(), released });
  }

  wrote(id: string, fence: number, accepted: boolean): void {
    this.#history.write({ e: 'write', id, fence, t: hostNow(), accepted });
  }

  #lost(id: string, reason: string): void {
    const t = hostNow();
    this.#history.write({ e: 'lost', id, t, reason });
    this.notifyLost(id, t, reason);
  }

  close(): void {
    this.#history.close();
  }
}
