import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.js';

export default defineConfig([
  libraryBuild(),
  // The executable: ESM only, with its shebang.
  libraryBuild({
    entry: ['src/bin.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
    treeshake: false,
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
