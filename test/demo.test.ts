// The demo end to end: `apps/demo` runs for a short time (its own private redis-server, 3 Nest
// replicas, 2 BullMQ workers, the load generator) with --keep, so it goes on serving after its
// verdict; chromium watches its dashboard meanwhile; then the verdict table must pass, and after a
// Ctrl-C (SIGINT) every process the demo started must be gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobLimit } from '../apps/demo/src/settings.js';
import { checkHistory } from './support/checker.js';
import type { HistoryEvent } from './support/history.js';

const MAIN = fileURLToPath(new URL('../apps/demo/src/main.ts', import.meta.url));
const DURATION_S = 15;

interface Report {
  readonly pass: boolean;
  readonly dashboard: string;
  readonly evidence: string;
  readonly rows: { area: string; check: string; measured: string; pass: boolean }[];
  readonly pids: { label: string; pid: number }[];
}

/** A demo event as recorded (see apps/demo/src/evidence.ts); only the fields used here. */
interface Recorded {
  readonly k: string;
  readonly invoice?: string;
  readonly tenant?: string;
  readonly fence?: number;
  readonly t0: number;
  readonly t1: number;
  readonly v1?: number;
}

/** The demo's evidence as a history for the repository's own checker: one window per interval. */
function historyOf(events: readonly Recorded[]): HistoryEvent[] {
  const history: HistoryEvent[] = [];
  events.forEach((e, i) => {
    const name =
      e.k === 'pay'
        ? `invoice:${e.invoice}`
        : e.k === 'export'
          ? `exports:${e.tenant}`
          : e.k === 'job'
            ? `jobs:${e.tenant}`
            : e.k === 'report'
              ? 'reports'
              : undefined;
    if (name === undefined) return;
    const id = String(i);
    const v = e.v1 ?? e.t1; // jobs record no validity: their window ends with the work
    history.push({ e: 'grant', id, name, fence: e.fence ?? null, weight: 1, t: e.t0, v, w: e.k });
    history.push({ e: 'release', id, t: e.t1 });
  });
  return history;
}

function limitOf(name: string): number {
  if (name.startsWith('invoice:')) return 1;
  if (name.startsWith('exports:')) return 2;
  if (name.startsWith('jobs:')) return jobLimit(name.slice('jobs:'.length));
  return 3; // reports
}

let demo: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let dir: string;
let browser: Browser | undefined;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the first match of `pattern` in the demo's output. */
function waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      } else if (demo.exitCode !== null) {
        clearTimeout(timer);
        reject(new Error(`demo exited before ${pattern}:\n${output}`));
      } else setTimeout(check, 100);
    };
    check();
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-demo-test-'));
  const env = { ...process.env };
  delete env.REDIS_URL; // the demo must start (and stop) its own redis-server
  demo = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--duration', String(DURATION_S), '--keep', '--json', join(dir, 'report.json')],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  demo.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  demo.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  exited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
});

afterAll(async () => {
  await browser?.close();
  if (demo.exitCode === null) {
    // A test failed before the Ctrl-C: still let the demo stop what it started, by pid.
    demo.kill('SIGINT');
    const timer = setTimeout(() => demo.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('the demo', () => {
  it('shows its locks and semaphores live on the dashboard while it runs', async () => {
    const url = (await waitFor(/Dashboard: (\S+)/, 240_000))[1] as string;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const page = await browser.newPage();
    await page.goto(url);
    const names = page.locator('#names td.name');
    // The contended names of every part: the Nest exports limit, the Express route, the job gate.
    await expect
      .poll(async () => (await names.allTextContents()).join(' '), { timeout: 30_000 })
      .toMatch(/exports:acme/);
    await expect.poll(async () => (await names.allTextContents()).join(' '), { timeout: 30_000 }).toMatch(/reports/);
    await expect.poll(async () => (await names.allTextContents()).join(' '), { timeout: 30_000 }).toMatch(/jobs:acme/);
    // The locks: the cron's (held most of every period) or an invoice's.
    await expect
      .poll(async () => (await names.allTextContents()).join(' '), { timeout: 30_000 })
      .toMatch(/cron:rollup|invoice:/);
    // The noisy tenant's export semaphore in detail: its holders, with their fences.
    await page.locator('#names tr', { hasText: 'exports:acme' }).first().click();
    await expect.poll(() => page.locator('#detail-name').textContent(), { timeout: 20_000 }).toBe('exports:acme');
    const fences = page.locator('#holders tbody td:first-child');
    await expect
      .poll(async () => (await fences.allTextContents()).some((t) => /^\d+$/.test(t.trim())), { timeout: 20_000 })
      .toBe(true);
    // Live: the page changes without a reload (Server-Sent Events), as holders come and go.
    const first = await page.locator('#names').textContent();
    await expect.poll(() => page.locator('#names').textContent(), { timeout: 20_000 }).not.toBe(first);
    await page.close();
  }, 300_000);

  it('passes its verdict table and leaves no process running after Ctrl-C', async () => {
    await waitFor(/All checks passed|Some checks FAILED|exited unexpectedly/, 240_000);
    demo.kill('SIGINT');
    const code = await exited;
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    const failed = report.rows.filter((r) => !r.pass);
    expect(failed, output).toEqual([]);
    expect(code, output).toBe(0);
    expect(report.rows.map((r) => r.area)).toEqual(
      expect.arrayContaining(['invoices', 'exports', 'cron', 'reports', 'jobs']),
    );
    expect(output).toMatch(/Verdict/);
    // redis-server, 3 replicas, 2 workers: all started, all gone.
    expect(report.pids.map((p) => p.label).sort()).toEqual(
      ['api-1', 'api-2', 'api-3', 'redis-server', 'worker-1', 'worker-2'].sort(),
    );
    expect(report.pids.filter((p) => isAlive(p.pid))).toEqual([]);
  }, 300_000);

  it("has evidence that the repository's history checker also accepts", () => {
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    const events = readFileSync(report.evidence, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Recorded);
    rmSync(report.evidence, { force: true });
    const result = checkHistory(historyOf(events), limitOf);
    expect(result.violations).toEqual([]);
    // Every part of the demo left windows to check: invoice locks, export, job and report permits.
    const names = [...result.maxConcurrent.keys()];
    for (const prefix of ['invoice:', 'exports:acme', 'jobs:acme', 'reports']) {
      expect(names.some((n) => n.startsWith(prefix))).toBe(true);
    }
    expect(result.maxConcurrent.get('exports:acme')).toBe(2);
  });
});
