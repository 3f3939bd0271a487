// One request's permit life: listeners attached before any await, client-gone abort, release exactly once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Lease, type LeaseLostError, LockstepError } from '@lockstep/core';
import type { RequestLease } from './types.js';

type State = 'waiting' | 'held' | 'done';

/**
 * Watches one response from the moment the middleware runs. Whichever comes first of `finish`,
 * `close` and `error` ends it: a permit held is released once; a wait still running is aborted
 * (core takes the waiter out of the queue and gives back a grant that raced the abort).
 */
export class PermitGate {
  #state: State = 'waiting';
  #lease: Lease | undefined;
  #released: Promise<boolean> | undefined;
  #heldSince = 0;
  #onReleased: ((heldMs: number) => void) | undefined;
  readonly #clientGone = new AbortController();
  /** The combined signal of `req.lockstep.lease`, made on first use (an AbortSignal costs µs). */
  #signal: AbortController | undefined;
  readonly #res: ServerResponse;
  readonly #onError: (error: unknown) => void;

  /**
   * @param res - the response; its listeners are attached here, synchronously
   * @param onError - receives failures of the background release
   */
  constructor(res: ServerResponse, onError: (error: unknown) => void) {
    this.#res = res;
    this.#onError = onError;
    res.once('finish', this.#end);
    res.once('close', this.#close);
    res.once('error', this.#end);
    // A pipelined request whose response is queued behind another one's has no socket yet: when its
    // client leaves, Node destroys only the request (with an error), and its response never emits
    // 'finish' or 'close'. Its request's close is then the only sign.
    const req = (res as { req?: IncomingMessage }).req;
    req?.once('close', () => {
      if (req.errored) this.#close();
    });
    // The client may have left before this middleware ran (an earlier middleware awaited).
    if (res.destroyed || res.socket?.destroyed || req?.errored) this.#close();
  }

  /** Aborts when the client leaves before the response is finished; pass it to acquire(). */
  get clientGone(): AbortSignal {
    return this.#clientGone.signal;
  }

  /** True once the response ended or the client left. */
  get done(): boolean {
    return this.#state === 'done';
  }

  /**
   * Takes the granted lease. Returns false (and releases it at once) if the request ended while
   * the grant was in flight: no handler runs for a request nobody waits for.
   *
   * @param onReleased - told how long the permit was held (ms) when it is given back, once
   */
  hold(lease: Lease, onReleased?: (heldMs: number) => void): boolean {
    this.#lease = lease;
    if (this.#state === 'done') {
      this.#release();
      return false;
    }
    this.#state = 'held';
    this.#heldSince = performance.now();
    this.#onReleased = onReleased;
    return true;
  }

  /** Aborts when the permit is lost or the client leaves, whichever comes first. */
  #combined(): AbortSignal {
    if (this.#signal === undefined) {
      const combined = new AbortController();
      this.#signal = combined;
      for (const source of [this.#clientGone.signal, (this.#lease as Lease).signal]) {
        if (source.aborted) combined.abort(source.reason);
        else source.addEventListener('abort', () => combined.abort(source.reason), { once: true });
      }
    }
    return this.#signal.signal;
  }

  /** Ends the gate without a response event (skip, rejection, pass-through); releases if held. */
  end(): void {
    this.#end();
  }

  /** The lease as `req.lockstep.lease` exposes it. */
  requestLease(): RequestLease {
    const lease = this.#lease as Lease;
    const release = (): Promise<boolean> => this.#release();
    const combined = (): AbortSignal => this.#combined();
    return {
      name: lease.name,
      fence: lease.fence,
      weight: lease.weight,
      get expiresAt() {
        return lease.expiresAt;
      },
      get remainingMs() {
        return lease.remainingMs;
      },
      get held() {
        return lease.held;
      },
      get signal() {
        return combined();
      },
      get lostError(): LeaseLostError | undefined {
        return lease.lostError;
      },
      extend: (ttlMs?: number) => lease.extend(ttlMs),
      release,
    };
  }

  readonly #close = (): void => {
    if (this.#state !== 'done' && !this.#res.writableFinished) {
      this.#clientGone.abort(new LockstepError('ERR_ABORTED', 'The client closed the connection'));
    }
    this.#end();
  };

  readonly #end = (): void => {
    if (this.#state === 'done') return;
    if (this.#state === 'waiting' && !this.#clientGone.signal.aborted) {
      // Answered by someone else while queued (a timeout middleware, say): stop waiting too.
      this.#clientGone.abort(new LockstepError('ERR_ABORTED', 'The response ended before a permit was granted'));
    }
    this.#state = 'done';
    this.#release();
  };

  #release(): Promise<boolean> {
    if (this.#released) return this.#released;
    const lease = this.#lease;
    if (lease === undefined) return Promise.resolve(false);
    // Only a permit a handler ran under counts as a hold (not one given back unused).
    this.#onReleased?.(performance.now() - this.#heldSince);
    this.#released = lease.release().catch((error: unknown) => {
      // The permit expires with its TTL; an outage at release is reported, never thrown.
      this.#onError(error);
      return false;
    });
    return this.#released;
  }
}
