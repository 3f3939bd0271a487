// Reads Lockstep's key layout back: which lock or semaphore a key belongs to, and its name.
import { keySet } from '../util/names.js';

/** The kind of a named object: a mutex or a counting semaphore. */
export type NameKind = 'lock' | 'semaphore';

/** A lock or semaphore found in Redis. */
export interface NameRef {
  readonly kind: NameKind;
  readonly name: string;
}

/** Reverses `encodeName` (util/names.ts): `%XX` back to the character; `%` itself is always encoded. */
export function decodeName(encoded: string): string {
  return encoded.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The SCAN pattern that matches every key of `prefix` (prefix characters are never glob syntax). */
export function scanPattern(prefix: string): string {
  return `{${prefix}:*`;
}

const STATE_SUFFIXES = new Set(['h', 'q', 'd', 'i', 'm']);

/**
 * The lock or semaphore a key (without the client's keyPrefix) holds state for, or undefined for
 * keys of another prefix and for the grant-statistics keys (which alone do not make a name live).
 */
export function parseStateKey(prefix: string, key: string): NameRef | undefined {
  const head = `{${prefix}:`;
  if (!key.startsWith(head)) return undefined;
  const close = key.indexOf('}', head.length);
  if (close < 0 || key[close + 1] !== ':') return undefined;
  const suffix = key.slice(close + 2);
  if (!STATE_SUFFIXES.has(suffix)) return undefined;
  const tag = key.slice(head.length, close);
  const kind = tag.startsWith('l:') ? 'lock' : tag.startsWith('s:') ? 'semaphore' : undefined;
  if (!kind) return undefined;
  return { kind, name: decodeName(tag.slice(2)) };
}

/** Keys of a lock or semaphore in script order (the channel last), as the engines use them. */
export function keysOf(prefix: string, ref: NameRef): readonly string[] {
  return keySet(prefix, ref.kind === 'lock' ? 'l' : 's', ref.name).keys;
}

/** The hash tag of a lock or semaphore: `{prefix:l:name}` or `{prefix:s:name}`. */
export function tagOf(prefix: string, ref: NameRef): string {
  return keySet(prefix, ref.kind === 'lock' ? 'l' : 's', ref.name).tag;
}
