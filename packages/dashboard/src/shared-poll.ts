// One poll of Redis shared by every open page of a dashboard: each interval, one list of names and
// one read of each name some page has open, whatever the number of pages.
import type { NameSummary } from '@lockstep/core';
import type { DashboardAdmin } from './options.js';
import { type Selection, type Snapshot, selectionKey, takeSnapshot } from './snapshot.js';

/** One result of the poll for a viewer: a snapshot, or the error that prevented it. */
export type PollResult =
  | { readonly ok: true; readonly snapshot: Snapshot }
  | { readonly ok: false; readonly error: unknown };

/**
 * Receives a viewer's results, each once and newest last (a result that lands after a newer one is
 * skipped). Never called synchronously from {@link SharedPoll.join}. One that throws removes its
 * viewer, as its leave function would.
 */
export type PollListener = (result: PollResult) => void;

/** A snapshot of one selection being taken or taken, numbered in the order started; never rejects. */
interface Reading {
  readonly seq: number;
  readonly result: Promise<PollResult>;
}

interface Viewer {
  readonly listener: PollListener;
  readonly leave: () => void;
  /** `seq` of the last reading it was given. */
  seen: number;
  joined: boolean;
}

/** The viewers of one selection, and its latest reading. */
interface Group {
  readonly selection: Selection | undefined;
  readonly viewers: Set<Viewer>;
  reading: Reading | undefined;
}

/**
 * The poll of one dashboard. While at least one viewer is joined, it ticks: one `admin.list()` and
 * one snapshot per selection some viewer has, then the next tick `intervalMs` after that one ended.
 * With no viewer it sends nothing and holds no timer.
 */
export class SharedPoll {
  readonly #admin: DashboardAdmin;
  /** Pause between the end of one tick and the start of the next, ms. */
  readonly intervalMs: number;
  readonly #groups = new Map<string, Group>();
  /** Reads for `api/snapshot` in flight while no page has their selection open, by selection. */
  readonly #pending = new Map<string, Reading>();
  /** The list of the current interval (in flight or done), while running. */
  #names: Promise<readonly NameSummary[]> | undefined;
  #seq = 0;
  /** From the first tick until no viewer is left. */
  #running = false;
  /** Set while waiting for the next tick; undefined during a tick and when stopped. */
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param admin - what the snapshots are read with
   * @param intervalMs - pause between the end of one tick and the start of the next, ms
   */
  constructor(admin: DashboardAdmin, intervalMs: number) {
    this.#admin = admin;
    this.intervalMs = intervalMs;
  }

  /**
   * Adds a viewer of `selection`. Its first result comes at once: its selection's latest snapshot
   * (in flight, or taken this interval), else a snapshot of it read now with this interval's list,
   * or, when the poll was idle, the first tick's. Then one result every tick.
   *
   * @returns the function that removes this viewer (idempotent); the last one out stops the poll
   */
  join(selection: Selection | undefined, listener: PollListener): () => void {
    const key = selectionKey(selection);
    const group = this.#groupOf(key, selection);
    const viewer: Viewer = { listener, leave: () => this.#leave(key, group, viewer), seen: 0, joined: true };
    group.viewers.add(viewer);
    if (!this.#running) this.#tick();
    group.reading ??= this.#read(selection);
    this.#deliver(group.reading, [viewer]);
    return viewer.leave;
  }

  /**
   * One snapshot of `selection` without joining: the viewers' latest of the same selection when
   * there is one (in flight, or taken this interval), else the read another call started and is
   * still waiting for; otherwise one read now, with this interval's list while the poll runs.
   * Rejects as the snapshot did (ERR_REDIS on an outage).
   */
  async snapshot(selection: Selection | undefined): Promise<Snapshot> {
    const key = selectionKey(selection);
    const reading = this.#groups.get(key)?.reading ?? this.#pending.get(key) ?? this.#readOnce(key, selection);
    const result = await reading.result;
    if (!result.ok) throw result.error;
    return result.snapshot;
  }

  // A read for `api/snapshot` with no page open, shared by the requests that come while it runs.
  #readOnce(key: string, selection: Selection | undefined): Reading {
    const reading = this.#read(selection);
    this.#pending.set(key, reading);
    void reading.result.then(() => this.#pending.delete(key));
    return reading;
  }

  #groupOf(key: string, selection: Selection | undefined): Group {
    let group = this.#groups.get(key);
    if (!group) {
      group = { selection, viewers: new Set(), reading: undefined };
      this.#groups.set(key, group);
    }
    return group;
  }

  #leave(key: string, group: Group, viewer: Viewer): void {
    if (!viewer.joined) return;
    viewer.joined = false;
    group.viewers.delete(viewer);
    if (group.viewers.size > 0) return;
    this.#groups.delete(key);
    // During a tick, the tick's end stops the poll.
    if (this.#groups.size === 0 && this.#timer) this.#stop();
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#groups.size === 0) {
      this.#stop();
      return;
    }
    this.#running = true;
    // Called in a promise chain: a synchronous throw of a structural admin becomes a rejection
    // the viewers see, instead of a poll stuck as running with no timer.
    const names = Promise.resolve().then(() => this.#admin.list());
    names.catch(() => undefined); // every reading of this interval reports it to its viewers
    this.#names = names;
    const results = [...this.#groups.values()].map((group) => this.#refresh(group));
    void Promise.all(results).then(() => this.#schedule());
  }

  #refresh(group: Group): Promise<PollResult> {
    const reading = this.#read(group.selection);
    group.reading = reading;
    this.#deliver(reading, group.viewers);
    return reading.result;
  }

  #schedule(): void {
    if (this.#groups.size === 0) {
      this.#stop();
      return;
    }
    // Unref'd: the open streams are what keep a process alive, not the poll that feeds them.
    this.#timer = setTimeout(() => this.#tick(), this.intervalMs).unref();
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = false;
    this.#names = undefined;
  }

  #read(selection: Selection | undefined): Reading {
    const result = takeSnapshot(this.#admin, selection, this.#names).then(
      (snapshot): PollResult => ({ ok: true, snapshot }),
      (error: unknown): PollResult => ({ ok: false, error }),
    );
    this.#seq += 1;
    return { seq: this.#seq, result };
  }

  /** Gives `reading` to those of `viewers` still joined once it lands, unless they have a newer one. */
  #deliver(reading: Reading, viewers: Iterable<Viewer>): void {
    void reading.result.then((result) => {
      for (const viewer of viewers) {
        if (!viewer.joined || viewer.seen >= reading.seq) continue;
        viewer.seen = reading.seq;
        // One broken viewer must neither take the others' result nor become an unhandled rejection.
        try {
          viewer.listener(result);
        } catch {
          viewer.leave();
        }
      }
    });
  }
}
