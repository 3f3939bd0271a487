// Every row the benchmark runs, in report order, and lookup by id (worker processes rebuild rows by id).
import type { LibraryRow } from './library.js';
import { LOCKSTEP_ROWS } from './lockstep.js';
import { RAW_ROWS } from './raw.js';
import { REDIS_SEMAPHORE_ROWS } from './redis-semaphore.js';
import { REDLOCK_UNIVERSAL_ROWS } from './redlock-universal.js';
import { REDLOCK_V4_ROWS } from './redlock-v4.js';
import { SESAME_ROWS } from './sesame-redlock.js';

export const ALL_ROWS: readonly LibraryRow[] = [
  ...LOCKSTEP_ROWS,
  ...RAW_ROWS,
  ...REDIS_SEMAPHORE_ROWS,
  ...REDLOCK_V4_ROWS,
  ...SESAME_ROWS,
  ...REDLOCK_UNIVERSAL_ROWS,
];

export function rowById(id: string): LibraryRow {
  const row = ALL_ROWS.find((r) => r.id === id);
  if (!row) throw new Error(`unknown library row ${id}`);
  return row;
}

/** Rows of single-server mutex workloads: Lockstep's one row, raw, and every peer default + tuned. */
export function mutexRows(): LibraryRow[] {
  return ALL_ROWS.filter((r) => r.id !== 'lockstep:tuned');
}

/** Rows of the uncontended workloads: retry settings never apply without contention, so defaults only. */
export function uncontendedRows(): LibraryRow[] {
  return ALL_ROWS.filter((r) => r.variant === 'default' || r.variant === 'stats' || r.kind === 'raw');
}

export function semaphoreRows(): LibraryRow[] {
  return ALL_ROWS.filter((r) => r.hasSemaphore);
}

export function quorumRows(): LibraryRow[] {
  return ALL_ROWS.filter((r) => r.hasQuorum);
}
