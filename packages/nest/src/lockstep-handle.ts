// What a running LockstepModule holds: its backend, its HTTP answers, and what it must close.
import type { LockstepHttpOptions } from './lockstep.options.js';
import { type BackendEntry, type LockstepBackend, registerBackend, unregisterBackend } from './registry.js';

/** @internal */
export class LockstepHandle {
  readonly entry: BackendEntry;
  #closed = false;

  constructor(
    readonly lockstep: LockstepBackend,
    readonly http: Required<LockstepHttpOptions>,
    onError: (error: unknown) => void,
    /** Closes what the module created (a client made from a URL); runs after `lockstep.close()`. */
    private readonly closeOwned: () => Promise<void>,
  ) {
    this.entry = { lockstep, onError };
    // Available from the moment the provider exists, so other providers' onModuleInit may use it.
    registerBackend(this.entry);
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
