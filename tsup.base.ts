// The tsup options every published package builds with: ESM + CJS with types, for Node 20.
import type { Options } from 'tsup';

/** One library bundle from `src/index.ts`; `overrides` for what a package does differently. */
export function libraryBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
