// docs/errors.md and the code must agree in both directions (fastify-style).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError, ERROR_CODES, isLockstepError, LockstepError, QuorumError } from '../src/index.js';
import { bounded } from '../src/redis/request.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('error codes', () => {
  it('every code has a table row and a section in docs/errors.md', () => {
    for (const code of ERROR_CODES) {
      expect(docs, code).toMatch(new RegExp(`^\\|\\s*\`${code}\`\\s*\\|`, 'm'));
      expect(docs, code).toMatch(new RegExp(`^## ${code}$`, 'm'));
    }
  });

  it('docs/errors.md documents no code the library does not have', () => {
    const documented = new Set([...docs.matchAll(/^## (ERR_[A-Z_]+)$/gm)].map((m) => m[1]));
    const rows = new Set([...docs.matchAll(/^\|\s*`(ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]));
    expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
    expect([...rows].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('every code used in any package source is declared', () => {
    const used = new Set<string>();
    for (const pkg of readdirSync(join(root, 'packages'))) {
      const src = join(root, 'packages', pkg, 'src');
      try {
        statSync(src);
      } catch {
        continue;
      }
      for (const file of sourceFiles(src)) {
        for (const m of readFileSync(file, 'utf8').matchAll(/'(ERR_[A-Z_]+)'/g)) used.add(m[1] as string);
      }
    }
    for (const code of used) expect(ERROR_CODES as readonly string[]).toContain(code);
  });

  it('errors carry name, code and cause, and the guard narrows by code', () => {
    const cause = new Error('underlying');
    const error = new LockstepError('ERR_REDIS', 'down', { cause });
    expect(error.name).toBe('LockstepError');
    expect(error.cause).toBe(cause);
    expect(isLockstepError(error, 'ERR_REDIS')).toBe(true);
    expect(isLockstepError(error, 'ERR_QUORUM')).toBe(false);
    const quorum = new QuorumError('x', 'unavailable', [{ node: 0, outcome: 'unreachable' }], 1);
    expect(quorum.message).toContain('1 unreachable');
    expect(quorum.code).toBe('ERR_QUORUM');
  });
});

describe('durations in messages', () => {
  it('are whole milliseconds', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(bounded(never, 'subscribing for "x"', 12.884339)).rejects.toThrow(
      /^subscribing for "x" got no reply within 13 ms$/,
    );
    expect(new AcquireTimeoutError('x', 287.2874700000002).message).toBe(
      'Could not acquire "x" within 287 ms: held by others',
    );
  });
});
