// Finds the lock or semaphore a command names: `--kind` decides, else whichever exists.
import type { LockstepAdmin, NameDetail, NameKind } from '@lockstep/core';
import { CliError, EXIT_CODES } from '../exit-codes.js';
import { safe } from '../render.js';

/** `--kind` as parsed, or undefined for "either". */
export function parseKind(value: string | undefined): NameKind | undefined {
  if (value === undefined) return undefined;
  if (value === 'lock' || value === 'semaphore') return value;
  throw new CliError(EXIT_CODES.usage, `--kind: expected "lock" or "semaphore", got ${JSON.stringify(value)}`);
}

/**
 * The snapshot of `name`, or undefined when nothing of that name exists.
 *
 * @throws CliError (usage) when both a lock and a semaphore have that name and no kind was given
 */
export async function findName(
  admin: LockstepAdmin,
  name: string,
  kind: NameKind | undefined,
): Promise<NameDetail | undefined> {
  if (kind) return await admin.inspect(kind, name);
  const [lock, semaphore] = await Promise.all([admin.inspect('lock', name), admin.inspect('semaphore', name)]);
  if (lock && semaphore) {
    throw new CliError(EXIT_CODES.usage, `both a lock and a semaphore are named "${safe(name)}": pass --kind`);
  }
  return lock ?? semaphore;
}

/** The not-found error of `name`. */
export function notFound(name: string): CliError {
  return new CliError(EXIT_CODES.notFound, `no lock or semaphore named "${safe(name)}" (no holders, waiters or keys)`);
}
