// What one update of the page carries: the list, and the selected name in detail with its rates.
import type { NameDetail, NameKind, NameSummary, RateSeries } from '@lockstep/core';
import type { DashboardAdmin } from './options.js';

/** The name a page has open. */
export interface Selection {
  readonly kind: NameKind;
  readonly name: string;
}

/** One update (the JSON of `api/snapshot` and of each `update` event). */
export interface Snapshot {
  /** Server clock (epoch ms) when it was taken. */
  readonly at: number;
  readonly prefix: string;
  readonly names: readonly NameSummary[];
  /**
   * The selected name, when one is open (its kind and name, so a page can tell it from the name it
   * had open before): null detail when it has no keys right now.
   */
  readonly selected: {
    readonly kind: NameKind;
    readonly name: string;
    readonly detail: NameDetail | null;
    readonly rates: RateSeries;
  } | null;
}

/** The window the grants plot covers, seconds. */
export const RATE_WINDOW_S = 120;

/**
 * Takes one snapshot: the selected name's detail and rates, with `names` (a list of the current
 * interval, in flight or done) or a fresh `admin.list()`. Rejects on a Redis failure (ERR_REDIS).
 */
export async function takeSnapshot(
  admin: DashboardAdmin,
  selection: Selection | undefined,
  names: Promise<readonly NameSummary[]> = admin.list(),
): Promise<Snapshot> {
  const [list, selected] = await Promise.all([
    names,
    selection
      ? Promise.all([
          admin.inspect(selection.kind, selection.name),
          admin.rates(selection.kind, selection.name, RATE_WINDOW_S),
        ]).then(([detail, rates]) => ({ kind: selection.kind, name: selection.name, detail: detail ?? null, rates }))
      : Promise.resolve(null),
  ]);
  return { at: Date.now(), prefix: admin.prefix, names: list, selected };
}

/** A string naming `selection`: equal for equal selections ('' for none). */
export function selectionKey(selection: Selection | undefined): string {
  return selection ? `${selection.kind}:${selection.name}` : '';
}

/** The selection in `?kind=&name=`, or undefined. Throws (bad request) on a bad kind. */
export function parseSelection(query: URLSearchParams): Selection | undefined {
  const name = query.get('name');
  if (name === null || name === '') return undefined;
  const kind = query.get('kind');
  if (kind !== 'lock' && kind !== 'semaphore') throw new RangeError('kind must be "lock" or "semaphore"');
  return { kind, name };
}
