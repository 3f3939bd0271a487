// Small helpers the scenarios share.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryEvent } from '../../support/history.js';

export { sleep };

/** A random integer in [min, max]. */
export function between(min: number, max: number): number {
  return max > min ? randomInt(min, max + 1) : min;
}

/** Polls `fn` every 20 ms until it returns true or `timeoutMs` passes; resolves whether it did. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() >= end) return false;
    await sleep(20);
  }
}

/** The worker process label an event belongs to (`p3` for contender `p3.7` or lease `p3.7.12`). */
export function processOf(event: HistoryEvent): string | undefined {
  const who = 'w' in event ? event.w : 'id' in event ? event.id : undefined;
  return who?.split('.')[0];
}

/** The key of a Lockstep lock's holder (`kind` l) or semaphore's meta (`kind` s), as ioredis sends it. */
export function lockstepKey(prefix: string, kind: 'l' | 's', name: string): string {
  return `{${prefix}:${kind}:${name}}:${kind === 'l' ? 'h' : 'm'}`;
}

/**
 * Reclaim times from a history: for every lease a killed process still held at its kill, the time
 * from the kill to the next grant of that name to another process.
 */
export function reclaimTimes(events: readonly HistoryEvent[], names: (name: string) => boolean): number[] {
  const kills = events.filter(
    (e): e is Extract<HistoryEvent, { e: 'process' }> => e.e === 'process' && e.what === 'killed',
  );
  const grants = events
    .filter((e): e is Extract<HistoryEvent, { e: 'grant' }> => e.e === 'grant' && names(e.name))
    .sort((a, b) => a.t - b.t);
  const released = new Set(events.filter((e) => e.e === 'release').map((e) => (e as { id: string }).id));
  const times: number[] = [];
  for (const kill of kills) {
    const open = grants.filter((g) => g.w.startsWith(`${kill.w}.`) && g.t <= kill.t && !released.has(g.id));
    for (const g of open) {
      const next = grants.find((n) => n.name === g.name && n.t > kill.t && !n.w.startsWith(`${kill.w}.`));
      if (next && g.v > kill.t) times.push(next.t - kill.t);
    }
  }
  return times;
}
