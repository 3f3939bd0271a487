// User-supplied names cannot reach another lock's keys, pick a cluster slot, or act as patterns.
import { describe, expect, it } from 'vitest';
import { encodeName, keySet } from '../src/util/names.js';

describe('name encoding', () => {
  it('escapes every character that could break the key layout', () => {
    expect(encodeName('invoice:42')).toBe('invoice%3A42');
    expect(encodeName('a{b}c')).toBe('a%7Bb%7Dc');
    expect(encodeName('*?[]\\')).toBe('%2A%3F%5B%5D%5C');
    expect(encodeName('\u0000\n')).toBe('%00%0A');
    expect(encodeName('100%')).toBe('100%25');
    expect(encodeName('plain-name_1.ok é')).toBe('plain-name_1.ok é');
  });

  it('is injective over tricky names, and each key set has exactly one hash tag', () => {
    const names = ['a', 'a}', 'a}:h', '{a}', 'a%7D', 'a%', '%', 'a:h', 'a\u0000', 'a*', ':', '}{'];
    const encoded = names.map(encodeName);
    expect(new Set(encoded).size).toBe(names.length);
    for (const name of names) {
      for (const kind of ['l', 's'] as const) {
        const { keys, tag, channel } = keySet('lockstep', kind, name);
        expect(tag.split('{')).toHaveLength(2);
        expect(tag.split('}')).toHaveLength(2);
        for (const key of keys) {
          expect(key.startsWith(tag)).toBe(true);
          expect(key.indexOf('}')).toBe(tag.length - 1);
        }
        expect(channel.startsWith(tag)).toBe(true);
      }
    }
  });

  it('keeps locks and semaphores of the same name apart', () => {
    const lock = keySet('p', 'l', 'x');
    const sem = keySet('p', 's', 'x');
    expect(lock.keys.filter((k) => sem.keys.includes(k))).toEqual([]);
  });
});
