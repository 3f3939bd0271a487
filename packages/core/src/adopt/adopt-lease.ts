// Adopting a lease exported by another process (`lease.toJSON()`): validate the handle, then ask
// Redis (an extension under the handle's token) whether it still holds before returning a Lease.

import { InvalidArgumentError, LeaseLostError } from '../errors.js';
import { Lease, type LeaseHandle, type LeaseKind, type LostCallback } from '../lease/lease.js';
import type { LeaseDriver } from '../lease/lease-driver.js';
import { monotonicNow } from '../util/clock.js';
import { assertKnownOptions, orDefault } from '../util/option-names.js';
import { checkBoolean, checkFunction, checkOptions, describe } from '../util/validate.js';
import type { AcquireRuntime } from '../waiting/contender.js';

/** Options of `adopt()`. */
export interface AdoptOptions {
  /**
   * Extend the adopted lease in the background until it is released.
   * @defaultValue false
   */
  readonly autoExtend?: boolean | undefined;
  /** Called once if the adopted lease is lost; `lease.signal` aborts at the same time. */
  readonly onLost?: LostCallback | undefined;
}

/** Every option name of {@link AdoptOptions}. */
export const ADOPT_OPTION_NAMES: readonly string[] = Object.freeze(['autoExtend', 'onLost']);

/** What the adopting lock or semaphore expects of a handle. */
export interface AdoptTarget {
  readonly name: string;
  readonly kind: LeaseKind;
  readonly ttlMs: number;
  /** Whether leases of this target carry a fence (false in quorum mode). */
  readonly fenced: boolean;
  readonly driver: LeaseDriver;
  /** The owning Lockstep's services (only these three are used, so any backend can adopt). */
  readonly runtime: Pick<AcquireRuntime, 'assertOpen' | 'track' | 'untrack'>;
}

/** Checks a handle's shape before any I/O; the token is never put in a message. */
// Unknown fields are ignored rather than echoed: a misnamed field might carry the token.
export function checkHandle(handle: unknown, target: AdoptTarget): LeaseHandle {
  const h = checkOptions('handle', handle as LeaseHandle | undefined);
  if (h.name !== target.name) {
    throw new InvalidArgumentError(`Expected \`handle.name\` to be ${describe(target.name)}, got ${describe(h.name)}`);
  }
  if (h.kind !== target.kind) {
    throw new InvalidArgumentError(`Expected \`handle.kind\` to be "${target.kind}", got ${describe(h.kind)}`);
  }
  for (const field of ['id', 'token'] as const) {
    const value = h[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
      throw new InvalidArgumentError(`Expected \`handle.${field}\` to be a non-empty string`);
    }
  }
  const fence = h.fence;
  const fenceOk = target.fenced ? Number.isSafeInteger(fence) && (fence as number) >= 0 : fence === null;
  if (!fenceOk) {
    const want = target.fenced ? 'a non-negative integer' : 'null (no fence in quorum mode)';
    throw new InvalidArgumentError(`Expected \`handle.fence\` to be ${want}, got ${describe(fence)}`);
  }
  const weight = h.weight;
  if (!Number.isSafeInteger(weight) || (weight as number) < 1 || (target.kind === 'lock' && weight !== 1)) {
    throw new InvalidArgumentError(`Expected \`handle.weight\` to be a positive integer, got ${describe(weight)}`);
  }
  if (typeof h.expiresAt !== 'number') {
    throw new InvalidArgumentError(`Expected \`handle.expiresAt\` to be a number, got ${describe(h.expiresAt)}`);
  }
  return h as LeaseHandle;
}

/**
 * Adopts `handle`: extends it to the target's TTL under its token, which succeeds only while that
 * token still holds. Resolves with a Lease in this process.
 *
 * @throws {@link LeaseLostError} `ERR_LEASE_LOST` for a stale handle (expired, released or taken)
 */
export async function adoptLease(target: AdoptTarget, handle: unknown, options?: AdoptOptions): Promise<Lease> {
  const h = checkHandle(handle, target);
  const o = checkOptions('options', options);
  assertKnownOptions(o, ADOPT_OPTION_NAMES, 'adopt options');
  const autoExtend = checkBoolean('autoExtend', orDefault(o.autoExtend, false));
  const onLost = o.onLost === undefined ? undefined : checkFunction('onLost', o.onLost);
  const rt = target.runtime;
  rt.assertOpen();
  const started = monotonicNow();
  const ttl = target.ttlMs;
  // The window to honour answers in is the handle's (Redis decides; this only bounds quorum waits).
  const outcome = await target.driver.extend(h.id, h.token, ttl, started + ttl);
  if (outcome !== 'extended') {
    throw new LeaseLostError(target.name, outcome === 'no-quorum' ? 'no-quorum' : 'not-held');
  }
  const validUntil = started + ttl - target.driver.drift(ttl);
  const lease = new Lease({
    name: target.name,
    id: h.id,
    token: h.token,
    fence: h.fence ?? undefined,
    ttlMs: ttl,
    validUntil,
    weight: h.weight,
    autoExtend,
    onLost,
    driver: target.driver,
    onSettle: (settled) => rt.untrack(settled),
  });
  rt.track(lease);
  return lease;
}
