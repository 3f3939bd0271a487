// Runs a callback while a lease is held and always releases it afterwards.
import type { Lease } from './lease.js';

/**
 * Runs `fn(lease)` and releases the lease when it settles. If the lease was lost before `fn`
 * finished, the result is discarded and the loss (`ERR_LEASE_LOST`) is thrown, because the work ran
 * partly unprotected; `fn`'s own error wins when it threw.
 */
export async function runWithLease<T>(lease: Lease, fn: (lease: Lease) => Promise<T> | T): Promise<T> {
  let result: T;
  try {
    result = await fn(lease);
  } catch (err) {
    await lease.release().catch(() => undefined);
    throw err;
  }
  const lost = lease.lostError;
  await lease.release();
  if (lost) throw lost;
  return result;
}
