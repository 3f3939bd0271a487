// Every row the benchmark runs, in report order, and lookup by id (worker processes rebuild rows by id).
import { baselineRows } from './baseline.js';
import type { LibraryRow } from './library.js';
import { LOCKSTEP_ROWS } from './lockstep.js';
import { RAW_ROWS } from './raw.js';
import { REDIS_SEMAPHORE_ROWS } from './redis-semaphore.js';
import { REDLOCK_UNIVERSAL_ROWS } from './redlock-universal.js';
import { REDLOCK_V4_ROWS } from './redlock-v4.js';
import { SESAME_ROWS } from './sesame-redlock.js';

const OTHER_ROWS: readonly LibraryRow[] = [
  ...RAW_ROWS,
  ...REDIS_SEMAPHORE_ROWS,
  ...REDLOCK_V4_ROWS,
  ...SESAME_ROWS,
  ...REDLOCK_UNIVERSAL_ROWS,
];

/** Every row: Lockstep's, the `--baseline` build's (when loaded), raw and the peers. */
export function allRows(): LibraryRow[] {
  return [...LOCKSTEP_ROWS, ...baselineRows(), ...OTHER_ROWS];
}

export function rowById(id: string): LibraryRow {
  const row = allRows().find((r) => r.id === id);
  if (!row) throw new Error(`unknown library row ${id}`);
  return row;
}

/** Rows of single-server mutex workloads: Lockstep's one row, raw, and every peer default + tuned. */
export function mutexRows(): LibraryRow[] {
  return allRows().filter((r) => r.id !== 'lockstep:tuned');
}

/** Rows of the uncontended workloads: retry settings never apply without contention, so defaults only. */
export function uncontendedRows(): LibraryRow[] {
  return allRows().filter((r) => r.variant === 'default' || r.variant === 'stats' || r.kind === 'raw');
}

export function semaphoreRows(): LibraryRow[] {
  return allRows().filter((r) => r.hasSemaphore);
}

export function quorumRows(): LibraryRow[] {
  return allRows().filter((r) => r.hasQuorum);
}
