// @Locked and @Limited: wrap the method itself, so they work where interceptors never run (cron,
// events, queue processors) and whatever other decorators sit above or below them.

import { InvalidArgumentError } from '@lockstep/core';
import type { GuardKind } from './busy.js';
import { type KeySource, type LimitedOptions, type LockedOptions, resolveGuardOptions } from './decorator-options.js';
import { markGuarded } from './request-signal.js';
import { type GuardSpec, generatorRefused, runGuarded } from './run-guarded.js';
import { describe } from './validate.js';
import { copyMethodIdentity } from './wrap-method.js';

/**
 * A method decorator whose key and option functions take the decorated method's leading arguments:
 * applying it to a method whose parameters do not start with theirs is a type error.
 */
export type GuardDecorator<A extends unknown[]> = <M extends (...args: [...A, ...never[]]) => unknown>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

function isGeneratorFunction(fn: unknown): boolean {
  const tag = Object.prototype.toString.call(fn);
  return tag === '[object GeneratorFunction]' || tag === '[object AsyncGeneratorFunction]';
}

/**
 * TypeScript's standard (TC39) decorators call `(value, context)`; Nest, and these decorators, need
 * the `experimentalDecorators` kind `(target, propertyKey, descriptor)`. Say so rather than fail on
 * a missing descriptor.
 */
function checkLegacyDecorator(decorator: string, target: unknown, propertyKey: unknown): void {
  if (typeof propertyKey !== 'object' || propertyKey === null || !('kind' in propertyKey)) return;
  const name = (propertyKey as { name?: unknown }).name;
  const method = typeof name === 'string' ? name : typeof target === 'function' ? target.name : 'a method';
  throw new InvalidArgumentError(
    `${decorator} on ${method}: called as a standard (TC39) decorator; like Nest's own decorators it needs \`"experimentalDecorators": true\` (and \`"emitDecoratorMetadata": true\`) in tsconfig.json`,
  );
}

function guard<A extends unknown[]>(kind: GuardKind, key: KeySource<A>, options: unknown): GuardDecorator<A> {
  const decorator = kind === 'lock' ? '@Locked' : '@Limited';
  return (target, propertyKey, descriptor) => {
    checkLegacyDecorator(decorator, target, propertyKey);
    const owner = typeof target === 'function' ? target.name : target.constructor.name;
    const where = `${decorator} on ${owner}.${String(propertyKey)}`;
    // A property decorator gets no descriptor; an accessor's has `get`/`set` instead of `value`.
    const original = descriptor?.value as unknown;
    if (typeof original !== 'function') {
      const got =
        descriptor === undefined
          ? 'a property'
          : descriptor.get || descriptor.set
            ? 'a getter or setter'
            : describe(original);
      throw new InvalidArgumentError(`${where}: can only decorate a method, got ${got}`);
    }
    if (isGeneratorFunction(original)) throw generatorRefused(where);
    if (typeof key !== 'function' && (typeof key !== 'string' || key.length === 0)) {
      throw new InvalidArgumentError(
        `${where}: the key must be a non-empty string or a function, got ${describe(key)}`,
      );
    }
    const spec: GuardSpec = {
      kind,
      where,
      key: key as GuardSpec['key'],
      options: resolveGuardOptions(where, kind, options),
    };
    const method = original as (...args: unknown[]) => unknown;
    const wrapper = function (this: unknown, ...args: unknown[]) {
      return runGuarded(spec, this, args, method, wrapper);
    };
    copyMethodIdentity(method, wrapper);
    markGuarded(wrapper);
    descriptor.value = wrapper as unknown as NonNullable<typeof descriptor.value>;
  };
}

/**
 * Runs the method in one process at a time across every replica: a distributed mutex keyed by
 * `key`. The method gets its lease through {@link currentLease}. It resolves what the method
 * resolved, or `undefined` when skipped (`onBusy: 'skip'`); it rejects with `ERR_ACQUIRE_TIMEOUT`
 * when busy (HTTP 409), `ERR_REDIS` on an outage (HTTP 503), and `ERR_LEASE_LOST` when the lease was
 * lost while the method ran, even if the method resolved.
 *
 * @param key - the lock name, or a function of the method's arguments returning it
 * @param options - `ttlMs`, `waitMs`, `autoExtend`, `onBusy`, `minHoldMs`, `maxWaiters`
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` when applied with bad options (at class
 *   definition), or when the key function returns a bad key (at call time); both name the method
 * @example
 * ```ts
 * @Cron(CronExpression.EVERY_10_SECONDS)
 * @Locked('reports:rollup', { onBusy: 'skip', minHoldMs: 8_000 })
 * async rollup() {}
 * ```
 */
export function Locked<A extends unknown[] = never[]>(key: KeySource<A>, options?: LockedOptions): GuardDecorator<A> {
  return guard('lock', key, options);
}

/**
 * Lets at most `limit` calls (weighted) run at once across every replica, served by priority, then
 * in arrival order: a distributed semaphore keyed by `key`. Busy calls reject with
 * `ERR_ACQUIRE_TIMEOUT` (HTTP 503 with `Retry-After`).
 *
 * @param key - the semaphore name, or a function of the method's arguments (a limit per tenant)
 * @param options - `limit` (required), `priority`, `priorities`, `weight`, `ttlMs`, `waitMs`, `onBusy`, …
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` as for {@link Locked}
 * @example
 * ```ts
 * @Limited((tenantId: string) => `exports:${tenantId}`, { limit: 2 })
 * async exportFor(tenantId: string) {}
 * ```
 */
export function Limited<A extends unknown[] = never[]>(
  key: KeySource<A>,
  options: LimitedOptions<A>,
): GuardDecorator<A> {
  return guard('limit', key, options);
}
