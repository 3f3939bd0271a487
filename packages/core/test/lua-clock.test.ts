// The fence arithmetic of includes/clock.lua, run by a real Redis: server_us() turns TIME's two
// strings into epoch microseconds as digits (padding the microseconds to six digits), and succ()
// adds one to a decimal string without going through Lua numbers when it can. A stand-in
// `redis.call` answers TIME with chosen values, so every branch runs, not only the clock's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { standaloneLockstep } from '../../../test/support/fixtures.js';

const clock = readFileSync(new URL('../src/lua/includes/clock.lua', import.meta.url), 'utf8');

/** Runs `expression` after clock.lua, with TIME answering {seconds, micros}. */
async function evalClock(expression: string, seconds = '1700000000', micros = '123456'): Promise<unknown> {
  const { redis } = standaloneLockstep();
  const stub = `local redis = { call = function(name) assert(name == 'TIME') return { ARGV[1], ARGV[2] } end }\n`;
  return await redis.eval(`${stub}${clock}\nreturn ${expression}`, 0, seconds, micros);
}

describe('clock.lua', () => {
  it.each([
    ['123456', '1700000000123456'],
    ['100000', '1700000000100000'],
    ['99999', '1700000000099999'],
    ['42', '1700000000000042'],
    ['0', '1700000000000000'],
  ])('server_us() with %s us is %s', async (micros, expected) => {
    expect(await evalClock('server_us()', '1700000000', micros)).toBe(expected);
  });

  it.each([
    ['1700000000123456', '1700000000123457'],
    ['1700000000123459', '1700000000123460'],
    ['1799999999999999', '1800000000000000'],
    ['9', '10'],
    ['0', '1'],
  ])('succ(%s) is %s', async (digits, expected) => {
    expect(await evalClock(`succ('${digits}')`)).toBe(expected);
  });

  it('succ() of something that is not a number is nil', async () => {
    expect(await evalClock(`succ('x') == nil and 'nil' or 'value'`)).toBe('nil');
  });
});
