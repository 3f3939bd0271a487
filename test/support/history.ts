// A history of what every client believed and when: events appended as JSON lines, one file per
// process, timestamps on the host-wide monotonic clock so processes can be compared.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Milliseconds on CLOCK_MONOTONIC, shared by every process on this host. */
export function hostNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** One event in a history file. */
export type HistoryEvent =
  /** A grant as the client saw it: `t` when acquire resolved, `v` the end of its validity window. */
  | {
      readonly e: 'grant';
      readonly id: string;
      readonly name: string;
      readonly fence: number | null;
      readonly weight: number;
      readonly t: number;
      readonly v: number;
      readonly w: string;
      /** When acquire was invoked. */
      readonly i?: number;
      /** The TTL asked for, ms (lets the checker bound the validity window). */
      readonly ttl?: number;
    }
  /** Release invoked at `t` (the window ends here at the latest); `ok` is what release() returned. */
  | { readonly e: 'release'; readonly id: string; readonly t: number; readonly ok?: boolean }
  /** Extension succeeded at `t` (invoked at `i`); the window now ends at `v`. */
  | { readonly e: 'extend'; readonly id: string; readonly t: number; readonly i: number; readonly v: number }
  /** The client learned of a loss (signal/onLost) at `t`. */
  | { readonly e: 'lost'; readonly id: string; readonly t: number; readonly reason: string }
  /**
   * An operation failed at `t` with `code`: an acquisition (no `op`, or `op: 'acquire'`), or an
   * extension or release of lease `id`. `indeterminate` is the `ERR_REDIS` flag, when known.
   */
  | {
      readonly e: 'fail';
      readonly name: string;
      readonly t: number;
      readonly code: string;
      readonly w: string;
      readonly op?: HistoryOp;
      readonly id?: string;
      readonly indeterminate?: boolean;
    }
  /** An operation was invoked at `t`; `id` names the lease (for an acquire: the lease it would become). */
  | {
      readonly e: 'invoke';
      readonly op: HistoryOp;
      readonly id: string;
      readonly name: string;
      readonly t: number;
      readonly w: string;
    }
  /** A release of `id` returned at `t`; `released` is what release() resolved to. */
  | { readonly e: 'ok'; readonly op: 'release'; readonly id: string; readonly t: number; readonly released: boolean }
  /** A write of `id`'s fence to a fenced resource at `t`, and whether the resource accepted it. */
  | { readonly e: 'write'; readonly id: string; readonly fence: number; readonly t: number; readonly accepted: boolean }
  /**
   * What happened to a client process `w` (a worker label; its contenders are `w.N`), recorded by
   * the process that did it: killed (kill -9), paused (SIGSTOP or a blocked event loop) and resumed.
   */
  | { readonly e: 'process'; readonly w: string; readonly t: number; readonly what: 'killed' | 'paused' | 'resumed' }
  /** A fault injected at `t` (for the report; the checker ignores it). */
  | { readonly e: 'fault'; readonly kind: string; readonly t: number; readonly detail?: string };

/** Operations recorded with `invoke` / `fail` events. */
export type HistoryOp = 'acquire' | 'extend' | 'release';

/** Appends events to a file with one synchronous write each, so a kill -9 loses nothing written. */
export class HistoryWriter {
  readonly #fd: number;

  constructor(readonly path: string) {
    this.#fd = openSync(path, 'a');
  }

  write(event: HistoryEvent): void {
    writeSync(this.#fd, `${JSON.stringify(event)}\n`);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Reads every `*.jsonl` file in a directory (a torn last line from a killed process is skipped). */
export function readHistory(dir: string): HistoryEvent[] {
  if (!existsSync(dir)) return [];
  const events: HistoryEvent[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.jsonl')) continue;
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as HistoryEvent);
      } catch {
        // a partial line written at the moment of a kill
      }
    }
  }
  return events;
}
