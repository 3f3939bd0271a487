// Whether the jobs a gate wakes start in its own process: a permit kept for a woken job pays off
// only then. When another process's idle worker fetches the woken job first, the kept permit sits
// unused until the hand-off window ends, so the gate stops keeping permits while that happens.

/** Weight of the latest outcome in the running score. */
const ALPHA = 1 / 16;
/** Keep permits while at least this share of recent woken jobs started here in time. */
const KEEP_AT = 0.95;
/** Most woken jobs watched at once (more: the oldest count as started elsewhere). */
const MAX_WATCHED = 10_000;

/** A running score of "woken jobs started in this process within `windowMs`". */
export class Locality {
  readonly #windowMs: number;
  #score = 1;
  /** Woken jobs not kept for, by slot, with the end of their window (in wake order). */
  readonly #watched = new Map<string, number>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** True while recently woken jobs started in this process in time. */
  get keep(): boolean {
    this.#expire();
    return this.#score >= KEEP_AT;
  }

  /** Counts one outcome: the woken job started here in time, or not. */
  note(local: boolean): void {
    this.#score += ALPHA * ((local ? 1 : 0) - this.#score);
  }

  /** Watches a woken job whose permit was not kept: does it start here within the window? */
  woke(slot: string): void {
    this.#expire();
    if (this.#watched.size >= MAX_WATCHED) this.#expire(true);
    this.#watched.set(slot, performance.now() + this.#windowMs);
  }

  /** A job started here: if it was watched, it counts. */
  started(slot: string): void {
    const end = this.#watched.get(slot);
    if (end === undefined) return;
    this.#watched.delete(slot);
    this.note(performance.now() <= end);
  }

  /** Watched jobs whose window ended started elsewhere (or late); `all` ends every window. */
  #expire(all = false): void {
    const now = performance.now();
    for (const [slot, end] of this.#watched) {
      if (!all && end >= now) break;
      this.#watched.delete(slot);
      this.note(false);
    }
  }
}
