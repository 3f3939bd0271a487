// The LeaseDriver of the single-Redis/Cluster engines: extend and release are one script each.
import type { AcquireRuntime } from './acquire.js';
import type { LeaseDriver } from './lease.js';
import { bounded } from './request.js';

/** What an engine runs for one lease: its extend script (1 when extended) and its give-up script. */
export interface ScriptLeaseOps {
  readonly name: string;
  readonly runtime: AcquireRuntime;
  extend(id: string, token: string, ttlMs: number): Promise<unknown>;
  giveUp(id: string, token: string): Promise<number>;
}

/** A driver that bounds each script call in time and maps its reply. */
export function scriptDriver(ops: ScriptLeaseOps): LeaseDriver {
  const rt = ops.runtime;
  return {
    drift: (ttl) => rt.drift(ttl),
    onError: (err) => rt.onError(err),
    extend: async (id, token, ttlMs) => {
      const reply = await bounded(
        ops.extend(id, token, ttlMs),
        `extending "${ops.name}"`,
        Math.min(rt.requestTimeoutMs, ttlMs),
      );
      return reply === 1 ? 'extended' : 'not-held';
    },
    release: async (id, token) =>
      (await bounded(ops.giveUp(id, token), `releasing "${ops.name}"`, rt.requestTimeoutMs)) === 1,
  };
}
