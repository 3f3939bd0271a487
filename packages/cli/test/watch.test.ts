// The interactive commands in a real terminal (tmux): `watch` redraws as holders change, and
// `release` asks for confirmation on a terminal.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { standalonePort } from '@lockstep/test-utils/context';
import { afterAll, describe, expect, it } from 'vitest';
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

async function screen(session = 'w'): Promise<string> {
  return (await tmux('capture-pane', '-p', '-t', session)).stdout;
}

/** The CLI run with `args` on `prefix`, as one quoted shell command. */
function quoted(args: readonly string[], prefix: string): string {
  return [process.execPath, BIN, ...args, '--prefix', prefix].map((a) => `'${a}'`).join(' ');
}

function shell(args: readonly string[], prefix: string): string {
  return `REDIS_URL=redis://127.0.0.1:${standalonePort()} ${quoted(args, prefix)}; sleep 30`;
}

describe('lockstep watch', () => {
  it('redraws in place as holders come and go', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    await tmux(
      'new-session',
      '-d',
      '-s',
      'w',
      '-x',
      '120',
      '-y',
      '40',
      `REDIS_URL=redis://127.0.0.1:${standalonePort()} ${quoted(['watch', 'render', '--interval', '200'], prefix)}`,
    );
    await eventually(async () => (await screen()).includes('no lock or semaphore named "render" yet'), 20_000);

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

  it('release asks for confirmation on a terminal, and releases on "y"', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const lease = await lockstep.lock('confirm-me').acquire();
    await tmux(
      'new-session',
      '-d',
      '-s',
      'r',
      '-x',
      '120',
      '-y',
      '10',
      shell(['release', 'confirm-me', '--force'], prefix),
    );
    await eventually(async () => (await screen('r')).includes('[y/N]'), 20_000);
    expect(await screen('r')).toContain('Force-release all 1 holder(s) of lock "confirm-me"?');
    expect(lease.held).toBe(true);
    await tmux('send-keys', '-t', 'r', 'y', 'Enter');
    await eventually(async () => (await screen('r')).includes('released 1 holder(s)'), 20_000);
    expect(await lease.release()).toBe(false);
    await tmux('kill-session', '-t', 'r');
  });
  it('release: Ctrl-C at the confirmation releases nothing and exits 2 with a message, no stack trace', async () => {
    const { lockstep, prefix } = standaloneLockstep();
    const lease = await lockstep.lock('keep-me').acquire();
    const command = quoted(['release', 'keep-me', '--force'], prefix);
    await tmux(
      'new-session',
      '-d',
      '-s',
      'c',
      '-x',
      '120',
      '-y',
      '10',
      `REDIS_URL=redis://127.0.0.1:${standalonePort()} ${command}; echo "exit=$?"; sleep 30`,
    );
    await eventually(async () => (await screen('c')).includes('[y/N]'), 20_000);
    await tmux('send-keys', '-t', 'c', 'C-c');
    await eventually(async () => (await screen('c')).includes('exit='), 20_000);
    const shown = await screen('c');
    expect(shown).toContain('exit=2');
    expect(shown).toContain('nothing released');
    expect(shown).not.toMatch(/unexpected error|\bat /);
    expect(lease.held).toBe(true);
    expect((await lockstep.lock('keep-me').inspect()).fence).toBe(lease.fence);
    expect(await lease.release()).toBe(true);
    await tmux('kill-session', '-t', 'c');
  });
});
