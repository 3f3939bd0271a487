// Which Redis replies refuse the user: the wordings of Redis 7.0 (the one these tests run on) and
// of 7.2+ (and Valkey), which words ACL failures differently, and what is not a refusal.
import { describe, expect, it } from 'vitest';
import { isRedisRefusal, RedisUnavailableError } from '../src/index.js';

const REFUSALS = [
  // 7.0
  "NOPERM this user has no permissions to run the 'evalsha' command",
  'NOPERM this user has no permissions to access one of the keys used as arguments',
  'NOPERM this user has no permissions to access one of the channels used as arguments',
  "ERR The user executing the script can't run this command or subcommand script: 73e3, on @user_script:41.",
  "ERR The user executing the script can't publish to the channel mentioned in the command script: 1f, on @user_script:1.",
  // 7.2+
  "NOPERM User app has no permissions to run the 'scan' command",
  'NOPERM No permissions to access a key',
  "ERR ACL failure in script: User app has no permissions to run the 'time' command script: 8a2f, on @user_script:4.",
  // credentials
  'WRONGPASS invalid username-password pair or user is disabled.',
  'NOAUTH Authentication required.',
];

const NOT_REFUSALS = [
  'NOSCRIPT No matching script. Please use EVAL.',
  'WRONGTYPE Operation against a key holding the wrong kind of value',
  'Connection is closed.',
  'ERR Error running script: user_script:3: NOPERM in a string',
];

describe('isRedisRefusal', () => {
  it('recognises the refusals of Redis 7.0 and 7.2+, as replies and as ERR_REDIS causes', () => {
    for (const message of REFUSALS) {
      expect(isRedisRefusal(new Error(message)), message).toBe(true);
      const wrapped = new RedisUnavailableError(`acquiring "x" failed: ${message}`, true, {
        cause: new Error(message),
      });
      expect(wrapped.refused, message).toBe(true);
      expect(isRedisRefusal(wrapped), message).toBe(true);
    }
  });

  it('leaves other errors alone', () => {
    for (const message of NOT_REFUSALS) {
      expect(isRedisRefusal(new Error(message)), message).toBe(false);
      expect(new RedisUnavailableError(message, true, { cause: new Error(message) }).refused, message).toBe(false);
    }
    expect(new RedisUnavailableError('no reply within 5000 ms', true).refused).toBe(false);
    expect(isRedisRefusal(undefined)).toBe(false);
    expect(isRedisRefusal('NOPERM')).toBe(false);
  });
});
