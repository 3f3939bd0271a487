// Runs a callback while a lease is held and always releases it afterwards.
import { type Lease, REPORT } from '../lease/lease.js';

/** What {@link runWithLease} needs of a lease: a {@link Lease} or a joint `MultiLease`. */
export type HeldLease = Pick<Lease, 'release' | 'lostError' | typeof REPORT>;

/**
 * Runs `fn(lease)` and releases the lease when it settles. If the lease was lost before `fn`
 * finished, the result is discarded and the loss (`ERR_LEASE_LOST`) is thrown, because the work ran
 * partly unprotected; `fn`'s own error wins when it threw. If only the release fails (Redis
 * unreachable), the work was done under the lease: resolve with `fn`'s result, so the caller does
 * not redo it, and report the failure (`ERR_REDIS`) through `onError`; the lease expires by its TTL.
 */
export async function runWithLease<L extends HeldLease, T>(lease: L, fn: (lease: L) => Promise<T> | T): Promise<T> {
  let result: T;
  try {
    result = await fn(lease);
  } catch (err) {
    await lease.release().catch(() => undefined);
    throw err;
  }
  const lost = lease.lostError;
  try {
    await lease.release();
  } catch (err) {
    if (lost) throw lost;
    lease[REPORT](err);
    return result;
  }
  if (lost) throw lost;
  return result;
}
