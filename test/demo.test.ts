// The demo end to end: `apps/demo` runs for a short time (its own private redis-server, 3 Nest
// replicas, 2 BullMQ workers, the load generator); chromium watches its dashboard meanwhile; then the
// verdict table must pass and every process the demo started must be gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../apps/demo/src/main.ts', import.meta.url));
const DURATION_S = 18;

interface Report {
  readonly pass: boolean;
  readonly dashboard: string;
  readonly rows: { area: string; check: string; measured: string; pass: boolean }[];
  readonly pids: { label: string; pid: number }[];
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

/** Resolves with the dashboard URL once the demo prints it. */
function dashboardUrl(timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dashboard URL after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const match = /Dashboard: (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      } else if (demo.exitCode !== null) {
        clearTimeout(timer);
        reject(new Error(`demo exited before serving:\n${output}`));
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
    ['--import', 'tsx', MAIN, '--duration', String(DURATION_S), '--json', join(dir, 'report.json')],
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
  if (demo.exitCode === null) demo.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the demo', () => {
  it('shows its locks and semaphores live on the dashboard while it runs', async () => {
    const url = await dashboardUrl(240_000);
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
    // Live: the page changes without a reload (Server-Sent Events), as holders come and go.
    const first = await page.locator('#names').textContent();
    await expect.poll(() => page.locator('#names').textContent(), { timeout: 20_000 }).not.toBe(first);
    await page.close();
  }, 300_000);

  it('passes its verdict table and leaves no process running', async () => {
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
});
