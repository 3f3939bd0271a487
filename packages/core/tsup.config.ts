import { defineConfig } from 'tsup';

export default defineConfig({
  // Both entries share one copy of the classes (Lock, Lease, the errors) through split chunks, so
  // `instanceof` holds across `@lockstep/core` and `@lockstep/core/testing`.
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
});
