// Script replies shared by the lock and semaphore engines: pushed grant messages and the unexpected.
import { LockstepError } from '../errors.js';
import type { PushedReply } from '../waiting/contender.js';

/** Maps a script reply that should not happen to ERR_INTERNAL. */
export function unexpectedReply(script: string, reply: unknown): LockstepError {
  return new LockstepError('ERR_INTERNAL', `Unexpected reply from ${script}: ${JSON.stringify(reply)}`);
}

/** Parses "id|fence|deadline|claimMs" (a grant, a claim until deadline) or "id|x|limit" (a rejection). */
export function parsePushed(message: string): PushedReply {
  const [, second, third, fourth] = message.split('|');
  if (second === 'x') return { kind: 'rejected', limit: Number(third) };
  return { kind: 'granted', fence: Number(second), deadline: Number(third), claimMs: Number(fourth ?? 0) };
}
