import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.js';

// Both entries share one copy of the classes (Lock, Lease, the errors) through split chunks, so
// `instanceof` holds across `@lockstep/core` and `@lockstep/core/testing`.
export default defineConfig(
  libraryBuild({ entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' }, splitting: true }),
);
