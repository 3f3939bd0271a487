// Identifiers: secret owner tokens (128 bits from crypto) and public request ids.
import { randomBytes } from 'node:crypto';

const TOKEN_BYTES = 16;
const POOL_TOKENS = 256;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A secret owner token: 128 random bits from `crypto`, base64url. Bytes are drawn from a pool
 * refilled by `randomBytes` (one call per 256 tokens), so each token is still crypto-random and
 * used once. Never logged, never put in an error message.
 */
export function newToken(): string {
  if (offset + TOKEN_BYTES > pool.length) {
    pool = randomBytes(TOKEN_BYTES * POOL_TOKENS);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + TOKEN_BYTES);
  // Wipe what was handed out, so the pool never holds a live token.
  pool.fill(0, offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}

/**
 * Length of the random prefix of request ids: 12 base64url characters (72 bits). Must equal
 * ID_PREFIX_LEN in src/lua/codes.json: scripts cut an id's prefix to find its instance's channel.
 */
export const ID_PREFIX_LENGTH = 12;

/**
 * Public request ids of one Lockstep instance: a random prefix of its own, `.`, and a counter.
 * The prefix names the instance: a script that grants a waiter publishes to the name's channel
 * suffixed with the waiter's prefix (see includes/waiters.lua), which only that instance's
 * subscriber listens to. The `.` marks ids that carry such a prefix; an id without it (written
 * by an older release) is announced on the name's shared channel instead.
 */
export class RequestIds {
  /** This instance's prefix: {@link ID_PREFIX_LENGTH} base64url characters from `crypto`. */
  readonly prefix = randomBytes((ID_PREFIX_LENGTH * 3) / 4).toString('base64url');
  #counter = 0;

  /** A new request id: it names a waiter in queue and grant messages; it grants nothing alone. */
  next(): string {
    this.#counter = (this.#counter + 1) % Number.MAX_SAFE_INTEGER;
    return `${this.prefix}.${this.#counter.toString(36)}`;
  }
}

const processIds = new RequestIds();

/** A public request id from a per-process {@link RequestIds} (for callers without an instance). */
export function newRequestId(): string {
  return processIds.next();
}
