// The built package loads from CommonJS and ESM with the same API, and both builds share one
// registry: a module started from one build serves methods decorated with the other.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
type Api = typeof import('../src/index.js');

describe('built package', () => {
  it('loads from CommonJS and ESM with the same public API', async () => {
    const cjs = createRequire(import.meta.url)(dist('index.cjs')) as Record<string, unknown>;
    const esm = (await import(dist('index.js'))) as Record<string, unknown>;
    for (const name of ['LockstepModule', 'LockstepTestingModule', 'Locked', 'Limited', 'currentLease']) {
      expect(cjs[name], name).toBeTypeOf('function');
      expect(esm[name], name).toBeTypeOf('function');
    }
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
  });

  it('a module from the ESM build serves a method decorated with the CommonJS build', async () => {
    const cjs = createRequire(import.meta.url)(dist('index.cjs')) as Api;
    const esm = (await import(dist('index.js'))) as Api;
    class Jobs {
      async run(): Promise<number | undefined> {
        return cjs.currentLease()?.fence;
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(Jobs.prototype, 'run') as PropertyDescriptor;
    cjs.Locked('dist-job')(Jobs.prototype, 'run', descriptor);
    Object.defineProperty(Jobs.prototype, 'run', descriptor);
    const ref = await Test.createTestingModule({
      imports: [esm.LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('dist') })],
    }).compile();
    await ref.init();
    expect(await new Jobs().run()).toBeTypeOf('number');
    await ref.close();
  });
});
