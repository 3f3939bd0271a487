// Turns user-supplied names into Redis keys that cannot reach another lock's keys or pick a slot.
import { InvalidArgumentError } from '../errors.js';
import { describe } from './validate.js';

/** Longest accepted name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 512;

const PREFIX_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
// Characters that would move the hash tag, split our key suffixes, act as SCAN patterns or are
// invisible are escaped (see isUnsafe); `%` is escaped too, so the encoding is injective.

/** Validates a key prefix: 1-64 characters of `A-Z a-z 0-9 _ . -`. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new InvalidArgumentError(
      `Expected \`prefix\` to be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-", got ${describe(prefix)}`,
    );
  }
  return prefix;
}

/** Validates a lock or semaphore name: a non-empty string of at most 512 UTF-8 bytes. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw new InvalidArgumentError(
      `Expected \`name\` to be a non-empty string of at most ${MAX_NAME_BYTES} UTF-8 bytes, got ${describe(name)}`,
    );
  }
  return name;
}

/** Percent-encodes the characters that could break out of our key layout. */
export function encodeName(name: string): string {
  // Most names need no escaping: find the first unsafe character without allocating.
  let i = 0;
  while (i < name.length && !isUnsafe(name.charCodeAt(i))) i++;
  if (i === name.length) return name;
  let out = name.slice(0, i);
  for (; i < name.length; i++) {
    const code = name.charCodeAt(i);
    out += isUnsafe(code) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : name[i];
  }
  return out;
}

// % { } : * ? [ ] \ and the control characters.
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    code === 0x7f ||
    code === 0x25 ||
    code === 0x7b ||
    code === 0x7d ||
    code === 0x3a ||
    code === 0x2a ||
    code === 0x3f ||
    code === 0x5b ||
    code === 0x5d ||
    code === 0x5c
  );
}

/** The keys of one lock or semaphore, all sharing one hash tag. */
export interface KeySet {
  /** Keys in script order (the channel is last). */
  readonly keys: readonly string[];
  /** The hash tag, `{prefix:kind:name}`. */
  readonly tag: string;
  /** The pub/sub shard channel grants are announced on (without the client's keyPrefix). */
  readonly channel: string;
}

/**
 * Keys of a lock (`kind` `l`: holder, queue, alive, records, channel) or a semaphore (`kind` `s`:
 * meta, holders, queue, alive, records, channel).
 */
export function keySet(prefix: string, kind: 'l' | 's', name: string): KeySet {
  const tag = `{${prefix}:${kind}:${encodeName(name)}}`;
  const suffixes = kind === 'l' ? ['h', 'q', 'd', 'i'] : ['m', 'h', 'q', 'd'];
  const channel = `${tag}:c`;
  return { tag, channel, keys: [...suffixes.map((s) => `${tag}:${s}`), channel] };
}
