// `lockstep watch` in a real terminal (tmux): the screen is redrawn as holders change.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { standalonePort } from '../../../test/harness/context.js';
import { eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import type { Lease } from '../../core/src/index.js';
import { BIN } from './run-cli.js';

const exec = promisify(execFile);
// A private tmux server (its own socket), so nothing else's sessions are touched.
const socket = `lockstep-watch-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => exec('tmux', ['-L', socket, ...args]);

afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
});

async function screen(): Promise<string> {
  return (await tmux('capture-pane', '-p', '-t', 'w')).stdout;
}

describe('lockstep watch', () => {
  it('redraws in place as holders come and go', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const command = [process.execPath, BIN, 'watch', 'render', '--interval', '200', '--prefix', prefix]
      .map((a) => `'${a}'`)
      .join(' ');
    await tmux(
      'new-session',
      '-d',
      '-s',
      'w',
      '-x',
      '120',
      '-y',
      '40',
      `REDIS_URL=redis://127.0.0.1:${standalonePort()} ${command}`,
    );
    await eventually(async () => (await screen()).includes('no holders, no waiters'), 20_000);

    const lock = lockstep.lock('render', { ttlMs: 20_000 });
    const first = await lock.acquire();
    await eventually(async () => (await screen()).includes(`${first.fence}`), 20_000);
    const shown = await screen();
    expect(shown).toMatch(/lock "render"\s+limit 1\s+used 1\s+holders 1\s+waiters 0/);
    // Redrawn in place: one frame on screen, not a scrolling log.
    expect(shown.match(/lockstep watch/g)).toHaveLength(1);

    const waiter = lock.acquire({ waitMs: 20_000 });
    await eventually(async () => (await screen()).includes('priority 0: 1 waiting'), 20_000);
    await first.release();
    const second = (await waiter) as Lease;
    await eventually(async () => {
      const s = await screen();
      return s.includes(`${second.fence}`) && !s.includes(`${first.fence}`) && s.includes('waiters 0');
    }, 20_000);
    await second.release();
    await eventually(async () => (await screen()).includes('holders 0'), 20_000);

    // Ctrl-C ends the command, and with it the tmux session.
    await tmux('send-keys', '-t', 'w', 'C-c');
    await eventually(
      () =>
        tmux('has-session', '-t', 'w').then(
          () => false,
          () => true,
        ),
      20_000,
    );
  });
});
