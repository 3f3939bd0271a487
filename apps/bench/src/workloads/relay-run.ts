// One side of the relay between two processes: acquire when told the other side acquired, hold,
// release, and never try again before the other side has acquired (no barging possible).
import { closeClients, openClients } from '../infra/clients.js';
import { hold, nowUs, sleepUntil } from '../infra/clock.js';
import { type CommandCounts, diffCommands, snapshotCommands } from '../infra/command-counter.js';
import { AcquireTimeout, type Held } from '../libraries/library.js';
import { rowById } from '../libraries/registry.js';
import type { Acquisition } from './contention-run.js';

export interface RelaySpec {
  readonly rowId: string;
  readonly url: string;
  readonly key: string;
  readonly side: number;
  readonly holdMs: number;
  readonly startUs: number;
  readonly endUs: number;
}

export interface RelayShare {
  readonly acquisitions: Acquisition[];
  readonly timeouts: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly commands: CommandCounts;
}

/** A relay side: `go()` starts one acquisition; `onAcquired` tells the other side. */
export class RelaySide {
  readonly #acquisitions: Acquisition[] = [];
  #timeouts = 0;
  #errors = 0;
  #firstError: string | undefined;
  #before: CommandCounts = {};
  #after: CommandCounts = {};
  readonly #bookkeeping: Promise<void>;
  #busy: Promise<void> = Promise.resolve();
  #stopped = false;

  private constructor(
    private readonly spec: RelaySpec,
    private readonly acquire: () => Promise<Held>,
    private readonly cleanup: () => Promise<void>,
    private readonly onAcquired: () => void,
  ) {
    this.#bookkeeping = (async () => {
      await sleepUntil(spec.startUs);
      this.#before = snapshotCommands();
      await sleepUntil(spec.endUs);
      this.#after = snapshotCommands();
    })();
  }

  static async open(spec: RelaySpec, onAcquired: () => void): Promise<RelaySide> {
    const clients = await openClients([spec.url]);
    const library = rowById(spec.rowId).create(clients);
    const acquirer = library.mutex(spec.key);
    return new RelaySide(
      spec,
      () => acquirer.acquire(),
      async () => {
        await library.close();
        await closeClients(clients);
      },
      onAcquired,
    );
  }

  /** The other side acquired: ask for the lock now (it is held, so this waits for the hand-off). */
  go(): void {
    if (this.#stopped) return;
    this.#busy = this.#busy.then(() => this.#cycle());
  }

  async #cycle(): Promise<void> {
    const spec = this.spec;
    const askedUs = nowUs();
    if (askedUs >= spec.endUs) return;
    let held: Held;
    try {
      held = await this.acquire();
    } catch (error) {
      if (error instanceof AcquireTimeout) this.#timeouts++;
      else {
        this.#errors++;
        this.#firstError ??= error instanceof Error ? error.message : String(error);
      }
      this.onAcquired();
      return;
    }
    const grantedUs = nowUs();
    this.onAcquired();
    await hold(spec.holdMs);
    const releasedUs = nowUs();
    if (grantedUs >= spec.startUs && grantedUs < spec.endUs) {
      this.#acquisitions.push({ caller: spec.side, askedUs, grantedUs, releasedUs });
    }
    await held.release().catch((error: unknown) => {
      this.#errors++;
      this.#firstError ??= error instanceof Error ? error.message : String(error);
    });
  }

  /** Stops after the current cycle and reports. */
  async stop(): Promise<RelayShare> {
    this.#stopped = true;
    await this.#busy;
    await this.#bookkeeping;
    await this.cleanup();
    return {
      acquisitions: this.#acquisitions,
      timeouts: this.#timeouts,
      errors: this.#errors,
      firstError: this.#firstError,
      commands: diffCommands(this.#before, this.#after),
    };
  }
}
