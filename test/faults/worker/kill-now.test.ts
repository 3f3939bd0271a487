// The kill time the fault suite records must come after everything the killed process recorded:
// the checker excuses an unreleased grant only when the kill came after it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killNow } from './worker-process.js';

const dir = mkdtempSync(join(tmpdir(), 'kill-now-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Appends the monotonic time (what hostNow reads) as fast as it can, the way a worker records.
const WRITER = `
const { openSync, writeSync } = require('node:fs');
const fd = openSync(process.argv[1], 'a');
for (;;) writeSync(fd, (Number(process.hrtime.bigint()) / 1e6) + '\\n');`;

async function untilWritten(path: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      if (statSync(path).size > 0) return;
    } catch {
      // not created yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${path} stayed empty`);
}

describe('killNow', () => {
  it('returns a time after the last event the killed process recorded', async () => {
    for (let round = 0; round < 20; round++) {
      const path = join(dir, `w${round}.log`);
      const child = spawn(process.execPath, ['-e', WRITER, path], { stdio: 'ignore' });
      await untilWritten(path);
      const killedAt = killNow(child);
      await once(child, 'exit');
      const times = readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => /^\d+(\.\d+)?$/.test(line))
        .map(Number);
      expect(times.length).toBeGreaterThan(0);
      expect(Math.max(...times)).toBeLessThanOrEqual(killedAt);
    }
  });
});
