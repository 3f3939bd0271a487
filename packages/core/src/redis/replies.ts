// Script replies shared by the lock and semaphore engines: the one acquire reply shape, pushed grant
// messages and the unexpected.
import { LockstepError } from '../errors.js';
import type { AttemptReply, PushedReply } from '../waiting/contender.js';
import { STATUS } from './scripts.js';

/** Maps a script reply that should not happen to ERR_INTERNAL. */
export function unexpectedReply(script: string, reply: unknown): LockstepError {
  return new LockstepError('ERR_INTERNAL', `Unexpected reply from ${script}: ${JSON.stringify(reply)}`);
}

/**
 * Parses "id|fence|deadline|claimMs" (a grant, a claim until deadline; a fifth field, the id whose
 * claim the same release settled, is for the wait hub) or "id|x|limit" (a rejection).
 */
export function parsePushed(message: string): PushedReply {
  const [, second, third, fourth] = message.split('|');
  if (second === 'x') return { kind: 'rejected', limit: Number(third) };
  return { kind: 'granted', fence: Number(second), deadline: Number(third), claimMs: Number(fourth ?? 0) };
}

/** A release script's reply: its status, and the messages announced to waiters it served. */
export interface ReleaseReply {
  /** STATUS.released, dequeued or nothing. */
  readonly status: number;
  /** Grant (or rejection) messages announced to the waiters served, in order; often empty. */
  readonly handed: readonly string[];
}

const NONE_HANDED: readonly string[] = Object.freeze([]);

/**
 * Reads the reply of lock-release and sem-release: a status, or `[status, message...]` when the
 * release served waiters (their messages, for local hand-off).
 */
export function parseReleaseReply(reply: unknown): ReleaseReply {
  if (!Array.isArray(reply)) return { status: Number(reply), handed: NONE_HANDED };
  return { status: Number(reply[0]), handed: reply.slice(1).map(String) };
}

/**
 * Reads the one reply shape of lock-acquire and sem-acquire (src/lua/includes/acquire-reply.lua):
 * `[status, fence, ms, now, limit]`.
 * @throws {@link LockstepError} ERR_INTERNAL for a status this client does not expect.
 */
export function parseAttemptReply(script: string, reply: readonly number[]): AttemptReply {
  const [status, fence = 0, ms = -1, now = 0, limit = 0] = reply;
  switch (status) {
    case STATUS.granted:
      return { kind: 'granted', fence, remainingMs: ms };
    case STATUS.queued:
      return { kind: 'queued', recheckInMs: ms, serverNow: now };
    case STATUS.busy:
      return { kind: 'busy', recheckInMs: ms };
    case STATUS.full:
      return { kind: 'full' };
    case STATUS.tooHeavy:
      return { kind: 'too-heavy', limit };
    default:
      throw unexpectedReply(script, reply);
  }
}
