// `watch` into a pipe: plain snapshots or NDJSON (no escape codes), a name that does not exist yet
// is said so and still watched, and a reader that goes away (`| head`) ends it quietly with 0.
import { standalonePort } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';
import { eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import { type CliProcess, spawnCli } from './run-cli.js';

function watchInPipe(args: readonly string[], prefix: string): CliProcess {
  return spawnCli(['watch', ...args, '--interval', '100', '--prefix', prefix], `redis://127.0.0.1:${standalonePort()}`);
}

describe('lockstep watch into a pipe', () => {
  it('prints one plain snapshot per interval, with no escape codes, and keeps watching a missing name', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const w = watchInPipe(['plain'], prefix);
    await eventually(() => w.out().includes('no lock or semaphore named "plain" yet'), 20_000);
    const lease = await lockstep.lock('plain', { ttlMs: 20_000 }).acquire();
    await eventually(() => w.out().includes(`${lease.fence}`), 20_000);
    await lease.release();
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
    expect(w.out()).not.toContain('\u001b');
    expect(w.out().match(/lockstep watch/g)?.length).toBeGreaterThanOrEqual(2);
    expect(w.out()).toMatch(/lock "plain"\s+limit 1\s+used 1\s+holders 1/);
  });

  it('with --json prints NDJSON: one inspect object per line, `found: false` while absent', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const w = watchInPipe(['nd', '--json'], prefix);
    await eventually(() => w.out().includes('"found":false'), 20_000);
    const lease = await lockstep.lock('nd', { ttlMs: 20_000 }).acquire();
    await eventually(() => w.out().includes(`"kind":"lock"`), 20_000);
    await lease.release();
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
    const lines = w
      .out()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { at: string; name: string; found?: boolean; kind?: string });
    expect(w.out()).not.toContain('\u001b');
    expect(lines[0]).toMatchObject({ name: 'nd', found: false });
    expect(lines.some((l) => l.kind === 'lock' && l.name === 'nd')).toBe(true);
    for (const l of lines) expect(Number.isNaN(Date.parse(l.at))).toBe(false);
  });

  it('ends quietly with exit 0 when the reader goes away (watch x | head)', async () => {
    const { prefix } = standaloneLockstep();
    const w = watchInPipe(['gone'], prefix);
    await eventually(() => w.out().length > 0, 20_000);
    w.child.stdout?.destroy();
    expect(await w.exited).toBe(0);
    expect(w.err()).toBe('');
  });
});
