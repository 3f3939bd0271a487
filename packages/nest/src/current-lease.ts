// The lease of the decorated call in progress, carried by AsyncLocalStorage.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lease } from '@lockstep/core';

/** @internal The store the decorators run methods in. */
export const leaseStorage = new AsyncLocalStorage<Lease>();

/**
 * The {@link Lease} of the `@Locked` or `@Limited` call this code runs inside (the innermost one when
 * decorated methods call each other), or `undefined` outside one. Use `lease.fence` to fence writes,
 * `lease.signal` to stop work when the lease is lost, and `lease.extend()` for long steps.
 *
 * @example
 * ```ts
 * @Locked((id: string) => `invoice:${id}`)
 * async pay(id: string) {
 *   const lease = currentLease()!;
 *   await this.db.pay(id, { fence: lease.fence, signal: lease.signal });
 * }
 * ```
 */
export function currentLease(): Lease | undefined {
  return leaseStorage.getStore();
}
