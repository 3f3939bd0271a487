// Identifiers from crypto: secret owner tokens (128 bits) and public request ids.
import { randomBytes } from 'node:crypto';

/** A secret owner token: 128 random bits, base64url. Never logged, never put in an error message. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/** A public request id (72 random bits): it names a waiter in queue and grant messages. */
export function newRequestId(): string {
  return randomBytes(9).toString('base64url');
}
