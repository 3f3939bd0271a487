// Turns the inspect scripts' replies into NameDetail objects.
import { unexpectedReply } from '../redis/replies.js';
import type { HolderInfo, NameDetail, WaiterInfo } from './admin-types.js';

/** Fences at or above this are server microseconds (see includes/lock.lua, next_fence). */
const MICROSECOND_FENCES = 1e15;

/**
 * `raw` as an array of `length` whose entries at `lists` are arrays; else ERR_INTERNAL (a key of
 * the name holds a value Lockstep did not write, so the script could not read it).
 */
function shaped(script: string, raw: unknown, length: number, lists: readonly number[]): unknown[] {
  if (!Array.isArray(raw) || raw.length !== length || lists.some((i) => !Array.isArray(raw[i]))) {
    throw unexpectedReply(script, raw);
  }
  return raw;
}

/**
 * A lock-inspect reply: {now, holderLeft, fence, waiterCount, aliveUntil[]}.
 *
 * @throws ERR_INTERNAL for a reply of another shape
 */
export function lockDetail(name: string, raw: unknown): NameDetail {
  const [now, left, fence, waiting, alive] = shaped('lock-inspect', raw, 5, [4]) as [
    number,
    number,
    number,
    number,
    (number | string)[],
  ];
  const held = Number(left) > 0;
  const holderList: HolderInfo[] = held
    ? [
        {
          fence: Number(fence),
          weight: 1,
          grantedAt: Number(fence) >= MICROSECOND_FENCES ? Math.floor(Number(fence) / 1000) : Number(now),
          expiresAt: Number(now) + Number(left),
        },
      ]
    : [];
  const waiterList: WaiterInfo[] = alive.map((a) => ({
    priority: 0,
    priorityName: null,
    weight: 1,
    since: null,
    aliveUntil: Number(a),
  }));
  return {
    kind: 'lock',
    name,
    limit: 1,
    used: held ? 1 : 0,
    holders: holderList.length,
    waiters: Number(waiting),
    now: Number(now),
    holderList,
    waiterList,
  };
}

/**
 * A sem-inspect reply: {now, limit, used, holders (fence, weight, deadline, since)…, waiters…, count}.
 *
 * @throws ERR_INTERNAL for a reply of another shape
 */
export function semaphoreDetail(name: string, raw: unknown, classes: ReadonlyMap<number, string>): NameDetail {
  const [now, limit, used, flatHolders, flatWaiters, waiting] = shaped('sem-inspect', raw, 6, [3, 4]) as [
    number,
    number,
    number,
    (string | number)[],
    (string | number)[],
    number,
  ];
  const holderList: HolderInfo[] = [];
  for (let i = 0; i < flatHolders.length; i += 4) {
    holderList.push({
      fence: Number(flatHolders[i]),
      weight: Number(flatHolders[i + 1]),
      expiresAt: Number(flatHolders[i + 2]),
      grantedAt: Number(flatHolders[i + 3]),
    });
  }
  const waiterList: WaiterInfo[] = [];
  for (let i = 0; i < flatWaiters.length; i += 4) {
    waiterList.push({
      priority: Number(flatWaiters[i]),
      priorityName: classes.get(Number(flatWaiters[i])) ?? null,
      weight: Number(flatWaiters[i + 1]),
      since: Number(flatWaiters[i + 2]),
      aliveUntil: Number(flatWaiters[i + 3]),
    });
  }
  return {
    kind: 'semaphore',
    name,
    limit: Number(limit) > 0 ? Number(limit) : null,
    used: Number(used),
    holders: holderList.length,
    waiters: Number(waiting),
    now: Number(now),
    holderList,
    waiterList,
  };
}
