// A key prefix no other test shares, so tests never see each other's keys.
import { randomBytes } from 'node:crypto';

let counter = 0;

/** A unique Lockstep prefix such as `t-3f9a1c-7`; short, with no hash-tag characters. */
export function uniquePrefix(label = 't'): string {
  counter += 1;
  const safe = label.replace(/[^a-zA-Z0-9_-]/g, '').slice(0, 16) || 't';
  return `${safe}-${randomBytes(3).toString('hex')}-${process.pid}-${counter}`;
}
