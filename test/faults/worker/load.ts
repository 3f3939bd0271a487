// The contention loop of a fault worker: acquire, hold (extending by hand, sometimes stalling),
// check the lease the way a careful caller would, release; everything recorded.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostNow } from '../../support/history.js';
import type { HeldLease, LockImpl } from './impl.js';
import type { LoadConfig } from './protocol.js';
import type { Recorder } from './recorder.js';

/** Counts of one load run. */
export interface LoadTally {
  grants: number;
  readonly failures: Record<string, number>;
  readonly unexpected: string[];
}

/** Blocks the event loop for `ms`: a stall no timer or socket can interrupt. */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function draw([min, max]: readonly [number, number]): number {
  return max > min ? randomInt(min, max + 1) : min;
}

async function hold(
  lease: HeldLease,
  id: string,
  name: string,
  c: LoadConfig,
  rec: Recorder,
  tally: LoadTally,
): Promise<void> {
  const total = c.holdMs === 'untilValidity' ? lease.remainingMs - 3 : draw(c.holdMs);
  const until = hostNow() + total;
  if (!c.extendEveryMs) {
    if (total > 0) await sleep(total);
    else await new Promise((resolve) => setImmediate(resolve));
    return;
  }
  while (hostNow() < until) {
    await sleep(Math.max(0, Math.min(c.extendEveryMs, until - hostNow())));
    if (hostNow() >= until) return;
    if (c.stallChance && Math.random() < c.stallChance) blockFor(c.stallMs ?? 0);
    const invoked = rec.invoke('extend', id, name, id.slice(0, id.lastIndexOf('.')));
    try {
      await lease.extend(c.ttlMs);
      rec.extended(id, invoked, lease);
    } catch (err) {
      const code = rec.fail('extend', id, name, id.slice(0, id.lastIndexOf('.')), err);
      if (code.startsWith('UNEXPECTED')) tally.unexpected.push(`extend: ${String(err)}`);
      if (code === 'ERR_LEASE_LOST') return;
    }
  }
}

/** Runs `c.contenders` contenders until `iterations`, `durationMs` or `stopped()`. */
export async function runLoad(
  impl: LockImpl,
  c: LoadConfig,
  rec: Recorder,
  stopped: () => boolean,
): Promise<LoadTally> {
  const tally: LoadTally = { grants: 0, failures: {}, unexpected: [] };
  const deadline = hostNow() + c.durationMs;
  const contender = async (index: number) => {
    const w = rec.worker(index);
    for (let i = 0; i < c.iterations && hostNow() < deadline && !stopped(); i++) {
      const name = c.names[randomInt(0, c.names.length)] as string;
      const weight = c.weights ? (c.weights[randomInt(0, c.weights.length)] as number) : 1;
      const id = rec.nextId(w);
      const signal = c.abortAfterMs ? AbortSignal.timeout(draw(c.abortAfterMs)) : undefined;
      const invoked = rec.invoke('acquire', id, name, w);
      let lease: HeldLease;
      try {
        lease = await impl.acquire({
          mode: c.mode,
          name,
          ttlMs: c.ttlMs,
          waitMs: c.waitMs,
          weight,
          limit: c.limit ?? 1,
          autoExtend: false,
          signal,
          onLost: rec.onLost(id),
        });
      } catch (err) {
        const code = rec.fail('acquire', id, name, w, err);
        tally.failures[code] = (tally.failures[code] ?? 0) + 1;
        if (code.startsWith('UNEXPECTED')) tally.unexpected.push(`acquire: ${String(err)}`);
        if (code === 'ERR_REDIS' || code === 'ERR_QUORUM') await sleep(c.failureBackoffMs ?? 20);
        continue;
      }
      rec.grant(id, name, w, lease, weight, invoked, c.ttlMs);
      tally.grants++;
      await hold(lease, id, name, c, rec, tally);
      // A careful caller checks before committing its work; reading `held` also reports a loss.
      void lease.held;
      rec.releasing(id);
      try {
        rec.released(id, await lease.release());
      } catch (err) {
        const code = rec.fail('release', id, name, w, err);
        if (code.startsWith('UNEXPECTED')) tally.unexpected.push(`release: ${String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: c.contenders }, (_, i) => contender(i)));
  return tally;
}
