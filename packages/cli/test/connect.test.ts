// Connecting: a Redis password never reaches the output.
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/index.js';
import { runCli } from './run-cli.js';

const SECRET = 'pa55-s3cr3t';

describe('the Redis URL', () => {
  it('is never echoed with its password, whatever is wrong with it', async () => {
    const urls = [
      `redis://:${SECRET}@127.0.0.1:notaport`,
      `http://:${SECRET}@127.0.0.1:6379`,
      `redis://admin:${SECRET}@[::1`,
      `admin:${SECRET}@127.0.0.1:6379`,
    ];
    for (const url of urls) {
      const viaFlag = await runCli(['ls', '--redis', url]);
      expect(viaFlag.code).toBe(EXIT_CODES.usage);
      expect(viaFlag.stderr).toMatch(/^lockstep: --redis: /);
      expect(viaFlag.stderr + viaFlag.stdout).not.toContain(SECRET);
      const viaEnv = await runCli(['ls'], { REDIS_URL: url });
      expect(viaEnv.code).toBe(EXIT_CODES.usage);
      expect(viaEnv.stderr + viaEnv.stdout).not.toContain(SECRET);
    }
  });
});
