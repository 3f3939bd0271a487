import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/fixtures/**'],
    globalSetup: ['packages/test-utils/src/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // An unhandled rejection anywhere fails the run (Vitest's default, stated here on purpose).
    dangerouslyIgnoreUnhandledErrors: false,
    reporters: ['default'],
  },
});
