// The built `@lockstep/core/testing` entry: loads from both module systems, shares one copy of the
// classes with the main entry (so `instanceof` holds across them), and carries no Redis scripts.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
type Main = typeof import('../src/index.js');
type Testing = typeof import('../src/testing/index.js');

describe('built testing entry', () => {
  it('shares Lock, Lease and the errors with the main entry, in CommonJS and ESM', async () => {
    const require = createRequire(import.meta.url);
    const pairs: [Main, Testing][] = [
      [require(dist('index.cjs')) as Main, require(dist('testing.cjs')) as Testing],
      [(await import(dist('index.js'))) as Main, (await import(dist('testing.js'))) as Testing],
    ];
    for (const [main, testing] of pairs) {
      const lockstep = testing.createMemoryLockstep();
      const lock = lockstep.lock('x');
      expect(lock).toBeInstanceOf(main.Lock);
      const lease = await lock.acquire();
      expect(lease).toBeInstanceOf(main.Lease);
      const error = await lock.acquire({ waitMs: 0 }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(main.AcquireTimeoutError);
      expect(main.isLockstepError(error, 'ERR_ACQUIRE_TIMEOUT')).toBe(true);
      expect(() => lockstep.lock('x', { ttlMs: 1 })).toThrow(main.InvalidArgumentError);
      await lease.release();
      await lockstep.close();
    }
  });

  it('carries no Lua scripts, nor do the chunks it shares with the main entry', () => {
    const chunks = readdirSync(dist('.')).filter((f) => /^chunk-.*\.c?js$/.test(f));
    expect(chunks.length).toBeGreaterThan(0);
    for (const file of ['testing.js', 'testing.cjs', ...chunks]) {
      expect(readFileSync(dist(file), 'utf8')).not.toContain('lock-acquire-5.lua');
    }
  });
});
