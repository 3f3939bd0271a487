// Which Lockstep a decorated method uses: the one of the application that owns the instance, else
// the most recently started one (request-scoped providers, `new Service()` in tests).
import { LockstepError, type LockstepLike } from '@lockstep/core';

/** What the decorators use: core's `Lockstep`, or the in-memory one of `@lockstep/core/testing`. */
export type LockstepBackend = LockstepLike;

/** One initialised LockstepModule (or LockstepTestingModule). */
export interface BackendEntry {
  readonly lockstep: LockstepBackend;
  /** Receives background errors (failed extensions of a minimum hold). */
  readonly onError: (error: unknown) => void;
  /** Aborts when the application starts shutting down: waits end, new calls are refused. */
  readonly shutdown: AbortSignal;
  /** Registers a decorated call in progress, so shutdown can let it finish. */
  track<T>(call: Promise<T>): Promise<T>;
}

interface Registry {
  readonly stack: BackendEntry[];
  readonly owners: WeakMap<object, BackendEntry>;
}

// Shared through a global symbol, so the ESM and CommonJS builds loaded side by side agree.
const KEY = Symbol.for('@lockstep/nest.registry');
const holder = globalThis as { [KEY]?: Registry };
holder[KEY] ??= { stack: [], owners: new WeakMap() };
const registry: Registry = holder[KEY];

/** Makes `entry` the fallback for instances no application claimed. */
export function registerBackend(entry: BackendEntry): void {
  registry.stack.push(entry);
}

/** Binds a provider or controller instance to its application's backend. */
export function claimInstance(instance: object, entry: BackendEntry): void {
  registry.owners.set(instance, entry);
}

/** Removes `entry` from the fallbacks (its application is shutting down). */
export function unregisterBackend(entry: BackendEntry): void {
  const index = registry.stack.lastIndexOf(entry);
  if (index >= 0) registry.stack.splice(index, 1);
}

/**
 * The backend for a call on `self`.
 *
 * @throws {@link LockstepError} `ERR_CLOSED` when no LockstepModule is initialised: says what to import
 */
export function backendFor(self: unknown, where: string): BackendEntry {
  const owned = typeof self === 'object' && self !== null ? registry.owners.get(self) : undefined;
  const entry = owned ?? registry.stack.at(-1);
  if (entry) return entry;
  throw new LockstepError(
    'ERR_CLOSED',
    `${where} was called, but no LockstepModule is running in this process. Import ` +
      'LockstepModule.forRoot({ redis }) (or LockstepTestingModule.forRoot() in unit tests) in the root ' +
      'module of the application, and call decorated methods once the application is created ' +
      '(NestFactory.create or Test.createTestingModule(...).compile()) and before app.close().',
  );
}
