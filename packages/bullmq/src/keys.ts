// Names of a gated key's semaphore and of the keys where its parked jobs wait.
import { InvalidArgumentError } from '@lockstep/core';

/** Longest key a `key(job)` function may return, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 256;

/** The Redis keys of one gated key; they share one hash tag, so each script stays in one slot. */
export interface GateKeys {
  /** Name of the core semaphore that holds the key's permits. */
  readonly semaphore: string;
  /** ZSET job id -> order score: parked jobs. */
  readonly parked: string;
  /** ZSET job id -> deadline: permits held back for woken jobs. */
  readonly reserved: string;
  /** HASH job id -> order score: a parked job's place, kept when it parks again. */
  readonly places: string;
  /** STRING: park order counter. */
  readonly sequence: string;
  /** STRING: jobs of the key waiting in core's queue (for a reserved permit, or on a last start). */
  readonly queued: string;
}

// `{`, `}`, `:`, `%`, glob characters and control characters are percent-encoded, so a key cannot
// reach another key's entries or pick a cluster slot.
function encode(part: string): string {
  let out = '';
  for (const char of part) {
    const code = char.charCodeAt(0);
    const unsafe = code < 0x20 || code === 0x7f || '%{}:*?[]\\'.includes(char);
    out += unsafe ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : char;
  }
  return out;
}

/** Validates what a `key(job)` function returned. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    const shown = typeof key === 'string' ? JSON.stringify(key.slice(0, 40)) : typeof key;
    throw new InvalidArgumentError(
      `Expected \`key(job)\` to return a non-empty string of at most ${MAX_KEY_BYTES} UTF-8 bytes, got ${shown}`,
    );
  }
  return key;
}

/**
 * Keys of `key` on the queue `queueQualifiedName` (BullMQ's `prefix:name`): limits are per queue.
 * The semaphore lives under core's own tag; the parking keys under `{prefix:bq:queue:key}`.
 */
export function gateKeys(prefix: string, queueQualifiedName: string, key: string): GateKeys {
  const semaphore = `bq:${queueQualifiedName}:${key}`;
  const tag = `{${prefix}:bq:${encode(queueQualifiedName)}:${encode(key)}}`;
  return {
    semaphore,
    parked: `${tag}:p`,
    reserved: `${tag}:r`,
    places: `${tag}:o`,
    sequence: `${tag}:s`,
    queued: `${tag}:w`,
  };
}

/** One job of one key (a semaphore name): JSON, so no separator can be forged by a key or an id. */
export function jobSlot(semaphore: string, id: string): string {
  return JSON.stringify([semaphore, id]);
}
