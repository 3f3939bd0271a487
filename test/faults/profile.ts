// The two profiles of the fault suite: `short` (about two minutes, inside `vitest run`) and `full`
// (`pnpm test:faults`: at least 200,000 checked grants and 100 injected faults, under 10 minutes).

/** A profile name. */
export type ProfileName = 'short' | 'full';

/** Settings every scenario reads. */
export interface Profile {
  readonly name: ProfileName;
}

/** Parses a profile name. */
export function parseProfile(value: string | undefined): Profile {
  if (value === 'short' || value === 'full') return { name: value };
  throw new Error(`Expected --profile short|full, got ${value}`);
}
