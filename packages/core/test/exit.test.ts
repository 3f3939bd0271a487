// A script that used a lock (acquired, released, waited, only tried) and then returns exits on its
// own, without lockstep.close(): nothing of Lockstep's keeps the event loop alive when idle.
import { fileURLToPath } from 'node:url';
import { runTsx, type TsxResult, uniquePrefix } from '@lockstep/test-utils';
import { standalonePort } from '@lockstep/test-utils/context';
import { describe, expect, inject, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./fixtures/exit-script.ts', import.meta.url));
/** Generous: a hung script never exits at all; a loaded machine may take seconds to start tsx. */
const EXIT_WITHIN_MS = 30_000;

function runScript(config: object): Promise<TsxResult> {
  return runTsx(SCRIPT, config, { killAfterMs: EXIT_WITHIN_MS });
}

describe('a script that used a lock', () => {
  it('standalone: exits on its own once it returns', async () => {
    const result = await runScript({ port: standalonePort(), prefix: uniquePrefix('ex') });
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('done');
  });

  it('cluster: exits on its own once it returns', async () => {
    const result = await runScript({ clusterPorts: inject('clusterPorts'), prefix: uniquePrefix('ex') });
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
  });
});
