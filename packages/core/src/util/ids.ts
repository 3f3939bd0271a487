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

// Public ids only need to be unique: a random per-process prefix (72 bits) and a counter.
const idPrefix = randomBytes(9).toString('base64url');
let idCounter = 0;

/** A public request id: it names a waiter in queue and grant messages; it grants nothing alone. */
export function newRequestId(): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${idPrefix}${idCounter.toString(36)}`;
}
