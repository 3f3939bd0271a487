// What a running LockstepModule holds: its backend, its HTTP answers, and what it must close.
import { setMaxListeners } from 'node:events';
import { LockstepError } from '@lockstep/core';
import type { ResolvedHttpOptions } from './lockstep.options.js';
import { type BackendEntry, type LockstepBackend, registerBackend, unregisterBackend } from './registry.js';

/** @internal */
export class LockstepHandle {
  readonly entry: BackendEntry;
  readonly #shutdown = new AbortController();
  readonly #running = new Set<Promise<unknown>>();
  #closed = false;

  constructor(
    readonly lockstep: LockstepBackend,
    readonly http: ResolvedHttpOptions,
    onError: (error: unknown) => void,
    /** How long shutdown waits for running calls. */
    readonly shutdownTimeoutMs: number,
    /** Closes what the module created (a client made from a URL); runs after `lockstep.close()`. */
    private readonly closeOwned: () => Promise<void>,
    /** Connects what the module created, once the application initialises. */
    private readonly openOwned: () => void = () => undefined,
  ) {
    const running = this.#running;
    // Every waiting call listens on it (and removes its listener when done): any number may wait at
    // once, so Node's "possible memory leak" warning past 10 listeners would be a false alarm.
    setMaxListeners(0, this.#shutdown.signal);
    this.entry = {
      lockstep,
      onError,
      shutdown: this.#shutdown.signal,
      track: (call) => {
        running.add(call);
        call.then(
          () => running.delete(call),
          () => running.delete(call),
        );
        return call;
      },
    };
    // Available from the moment the provider exists, so other providers' onModuleInit may use it.
    registerBackend(this.entry);
  }

  /** Connects a module-owned client; called when the module initialises. */
  open(): void {
    this.openOwned();
  }

  /**
   * Refuses new calls and ends waits (`ERR_ABORTED`), then gives the calls already running up to
   * `timeoutMs` to finish and release their leases.
   */
  async drain(timeoutMs: number): Promise<void> {
    unregisterBackend(this.entry);
    this.#shutdown.abort(new LockstepError('ERR_CLOSED', 'The application is shutting down'));
    if (this.#running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#running]), timeout]);
    clearTimeout(timer);
  }

  /** Stops the backend, then quits what the module owns; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    unregisterBackend(this.entry);
    try {
      await this.lockstep.close();
    } finally {
      await this.closeOwned();
    }
  }
}
