// One round over every node of a quorum, shared by quorum locks and quorum semaphores: an acquire
// attempt decided as early as the outcome is certain, release with retries, and extension.
import type { Redis } from 'ioredis';
import {
  AcquireTimeoutError,
  LockstepError,
  QuorumError,
  type QuorumNodeOutcome,
  type QuorumNodeResult,
} from '../errors.js';
import type { ExtendOutcome } from '../lease/lease-driver.js';
import { STATUS } from '../redis/scripts.js';
import { onAbort } from '../util/abort.js';
import { monotonicNow } from '../util/clock.js';

/** What a failed node request says about the node. */
export function classify(error: unknown): QuorumNodeOutcome {
  const cause = error instanceof LockstepError ? error.cause : error;
  return (cause as { name?: string } | undefined)?.name === 'ReplyError' ? 'error' : 'unreachable';
}

/**
 * Ends a quorum acquisition whose time ran out after a failed round. The rule (docs/errors.md): a
 * majority answered without granting is contention (`null` for a try, or ERR_ACQUIRE_TIMEOUT with
 * the per-node detail as its cause); ERR_QUORUM only when no majority could answer in time.
 */
export function outOfTime(
  name: string,
  result: Exclude<RoundResult, { kind: 'granted' }>,
  attempts: number,
  request: { readonly waitMs: number; readonly orNull: boolean },
): null {
  const kind = result.kind === 'slow' ? 'unavailable' : result.kind;
  const detail = new QuorumError(name, kind, result.nodes, attempts);
  if (result.kind === 'contention') {
    if (request.orNull) return null;
    throw new AcquireTimeoutError(name, request.waitMs, { cause: detail });
  }
  throw detail;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    const stopWatching = signal ? onAbort(signal, done) : undefined;
    function done() {
      clearTimeout(timer);
      stopWatching?.();
      resolve();
    }
  });
}

/** What one acquire attempt over all nodes came to. */
export type RoundResult =
  | { readonly kind: 'granted'; readonly validUntil: number }
  | {
      /** `slow`: no majority because connected nodes answered too late (worth retrying). */
      readonly kind: 'contention' | 'unavailable' | 'slow' | 'validity';
      readonly nodes: readonly QuorumNodeResult[];
    };

/** One acquire attempt: the nodes, the majority, the TTL asked for and how to ask one node. */
export interface AcquireRound {
  readonly clients: readonly Redis[];
  readonly quorum: number;
  readonly ttlMs: number;
  /** Clock drift allowance for `ttlMs` (subtracted from the validity window). */
  readonly drift: (ttlMs: number) => number;
  /** Sends the acquire script to node `i`. */
  readonly call: (i: number) => Promise<unknown>;
  /** Reads node `i`'s reply: `true` when it granted. Called for every reply, late ones too. */
  readonly granted: (i: number, reply: unknown) => boolean;
}

/** Asks every node at once and decides as soon as the outcome is certain. */
export async function acquireRound(round: AcquireRound): Promise<RoundResult> {
  const n = round.clients.length;
  const q = round.quorum;
  const ttl = round.ttlMs;
  const started = monotonicNow();
  const nodes: QuorumNodeResult[] = [];
  let granted = 0;
  let failed = 0;
  let down = 0;
  let answered = 0;
  let decisive: () => void = () => undefined;
  const decided = new Promise<void>((resolve) => {
    decisive = resolve;
  });
  const check = () => {
    answered++;
    // Certain once a majority granted, or once a majority can no longer be reached.
    if (granted >= q || granted + (n - answered) < q) decisive();
  };
  const calls = round.clients.map((_, i) =>
    round.call(i).then(
      (reply) => {
        const ok = round.granted(i, reply);
        if (ok) granted++;
        nodes[i] = { node: i, outcome: ok ? 'granted' : 'held' };
        check();
      },
      (error: unknown) => {
        failed++;
        // A client with no live connection means the server is down, not just slow.
        if ((round.clients[i] as Redis).status !== 'ready') down++;
        nodes[i] = { node: i, outcome: classify(error), error: error as Error };
        check();
      },
    ),
  );
  await decided;
  if (granted >= q) {
    // Validity counts from the start of this attempt, on the monotonic clock.
    const validUntil = started + ttl - round.drift(ttl);
    if (validUntil > monotonicNow()) return { kind: 'granted', validUntil };
    await Promise.allSettled(calls);
    return { kind: 'validity', nodes };
  }
  // Wait for the stragglers (each bounded by the node timeout) so the error names every node.
  await Promise.allSettled(calls);
  // A majority answered (granted or held) but did not grant: someone else holds it, or several
  // contenders split the nodes. That is contention, whatever the other nodes did.
  if (n - failed >= q) return { kind: 'contention', nodes };
  return { kind: down > n - q ? 'unavailable' : 'slow', nodes };
}

/**
 * Sends the release script to every node (`call(i)`), retrying each up to `retries` times with a
 * growing pause; resolves with how many nodes released.
 */
export async function releaseRound(
  nodeCount: number,
  retries: number,
  call: (i: number) => Promise<unknown>,
): Promise<number> {
  const results = await Promise.allSettled(
    Array.from({ length: nodeCount }, async (_, i) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return Number(await call(i));
        } catch (err) {
          if (attempt >= retries) throw err;
          await sleep(10 * 3 ** attempt, undefined);
        }
      }
    }),
  );
  return results.filter((r) => r.status === 'fulfilled' && r.value === STATUS.released).length;
}

/**
 * Sends the extend script to every node (`call(i)`) and reads the answers: `extended` with a
 * majority, `not-held` when a majority can no longer say yes.
 * @throws {@link QuorumError} when too few nodes answered to know (the caller retries while the
 * validity window lasts).
 */
export async function extendRound(
  name: string,
  nodeCount: number,
  quorum: number,
  call: (i: number) => Promise<unknown>,
): Promise<ExtendOutcome> {
  const settled = await Promise.allSettled(Array.from({ length: nodeCount }, (_, i) => call(i)));
  const extended = settled.filter((r) => r.status === 'fulfilled' && r.value === STATUS.extended).length;
  const failed = settled.filter((r) => r.status === 'rejected').length;
  if (extended >= quorum) return 'extended';
  if (extended + failed < quorum) return 'not-held';
  const nodes = settled.map((r, i): QuorumNodeResult => {
    if (r.status === 'fulfilled') return { node: i, outcome: r.value === STATUS.extended ? 'granted' : 'held' };
    return { node: i, outcome: classify(r.reason), error: r.reason as Error };
  });
  throw new QuorumError(name, nodeCount - failed < quorum ? 'unavailable' : 'contention', nodes, 1);
}
