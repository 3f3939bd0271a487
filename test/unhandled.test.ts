// The suite's promise that an unhandled rejection fails the run, checked on a fixture.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('a run with an unhandled rejection fails even when every test passes', () => {
  const result = spawnSync(
    process.execPath,
    [
      fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url)),
      'run',
      '--config',
      'test/fixtures/unhandled/vitest.config.ts',
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 60_000 },
  );
  const output = `${result.stdout}${result.stderr}`;
  expect(output).toMatch(/1 passed/);
  expect(output).toMatch(/Unhandled/i);
  expect(result.status).not.toBe(0);
});
