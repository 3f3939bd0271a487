// The built package works from both module systems, with the Lua inlined (never read from disk).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

describe('built package', () => {
  it('loads from CommonJS and ESM with the same public API', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require(dist('index.cjs')) as Record<string, unknown>;
    const esm = (await import(dist('index.js'))) as Record<string, unknown>;
    for (const name of ['Lockstep', 'Lock', 'Semaphore', 'Lease', 'LockstepError', 'ERROR_CODES', 'isLockstepError']) {
      expect(cjs[name], name).toBeDefined();
      expect(esm[name], name).toBeDefined();
    }
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
  });

  it('isLockstepError recognises errors from the other build (dual-package hazard)', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require(dist('index.cjs')) as typeof import('../src/index.js');
    const esm = (await import(dist('index.js'))) as typeof import('../src/index.js');
    const fromCjs = new cjs.AcquireTimeoutError('x', 5);
    expect(fromCjs instanceof esm.LockstepError).toBe(false);
    expect(esm.isLockstepError(fromCjs)).toBe(true);
    expect(esm.isLockstepError(fromCjs, 'ERR_ACQUIRE_TIMEOUT')).toBe(true);
    expect(esm.isLockstepError(fromCjs, 'ERR_REDIS')).toBe(false);
    expect(cjs.isLockstepError(new esm.InvalidArgumentError('bad'), 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect(esm.isLockstepError(new Error('plain'))).toBe(false);
    expect(esm.isLockstepError({ code: 'ERR_REDIS' })).toBe(false);
  });

  it('ships the scripts inside the bundle and never reads .lua files', () => {
    const source = readFileSync(dist('index.js'), 'utf8');
    expect(source).toContain('lock-acquire-5.lua');
    expect(source).not.toMatch(/readFileSync|\.lua['"]\)/);
  });

  it('the CommonJS build takes and releases a lock', async () => {
    const require = createRequire(import.meta.url);
    const { Lockstep } = require(dist('index.cjs')) as typeof import('../src/index.js');
    const lockstep = new Lockstep({ redis: standaloneClient(), prefix: uniquePrefix('cjs') });
    const lease = await lockstep.lock('x').acquire();
    expect(await lease.release()).toBe(true);
    await lockstep.close();
  });
});
