// The dashboard in a real browser (Debian's chromium through playwright-core) against a live Redis
// with real contention: workers in this process contend through several Lockstep instances.
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import { isLockstepError, type Lease, type Lockstep } from '../../core/src/index.js';
import type { DashboardAction } from '../src/index.js';
import { launchChromium } from './chromium.js';
import { type Served, serveDashboard } from './serve.js';

const ARTIFACTS = fileURLToPath(new URL('../test-results/', import.meta.url));
const SCRIPT_NAME = '<script>window.__xss = 1</script>';
const IMG_NAME = '<img src=x onerror="window.__xss = 2">';

let browser: Browser;
let served: Served;
let lockstep: Lockstep;
let worker: Lockstep;
let stopping = false;
const loops: Promise<void>[] = [];
const actions: string[] = [];

/** Workers taking permits of a semaphore in a loop, so there are grants, waits and queues. */
function contend(ls: Lockstep, count: number) {
  const sem = ls.semaphore('exports', { limit: 4, priorities: ['critical', 'default', 'bulk'], ttlMs: 5_000 });
  const classes = ['critical', 'default', 'default', 'bulk'];
  for (let i = 0; i < count; i++) {
    loops.push(
      (async () => {
        while (!stopping) {
          await sem
            .withPermit(() => sleep(40 + ((i * 37) % 160)), { priority: classes[i % 4] as string, waitMs: 20_000 })
            .catch(() => undefined);
        }
      })(),
    );
  }
}

beforeAll(async () => {
  ({ lockstep } = standaloneLockstep({ stats: true }));
  const prefix = lockstep.admin().prefix;
  ({ lockstep: worker } = standaloneLockstep({ stats: true, prefix }));
  served = await serveDashboard({
    lockstep,
    allowActions: true,
    intervalMs: 500,
    onAction: (a: DashboardAction) => {
      actions.push(`${a.kind}:${a.name}:${a.fence}`);
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  stopping = true;
  await Promise.all(loops);
  await browser?.close();
  await served?.close();
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('dialog', (dialog) => {
    // Only our confirmation may open a dialog; an alert would mean a name ran as script.
    if (dialog.type() === 'confirm') void dialog.accept();
    else throw new Error(`unexpected ${dialog.type()}: ${dialog.message()}`);
  });
  await page.goto(served.url);
  await page.evaluate(() => {
    (globalThis as unknown as { __loaded: number }).__loaded = 1;
  });
  return page;
}

describe('dashboard in chromium', () => {
  it('lists names, renders hostile names as text, and updates the detail view live', async () => {
    const held: Lease[] = [];
    for (const name of ['orders:invoice-42', 'reports:daily', SCRIPT_NAME, IMG_NAME]) {
      held.push(await lockstep.lock(name, { ttlMs: 30_000 }).acquire());
    }
    const queued = [1, 2].map(() => worker.lock('orders:invoice-42', { ttlMs: 30_000 }).acquire({ waitMs: 30_000 }));
    contend(worker, 10);
    const page = await openPage();

    const names = page.locator('#names td.name');
    await expect
      .poll(async () => (await names.allTextContents()).sort(), { timeout: 20_000 })
      .toEqual(['exports', IMG_NAME, SCRIPT_NAME, 'orders:invoice-42', 'reports:daily'].sort());
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#names img, #names script').count()).toBe(0);

    // Filter and sort.
    await page.fill('#filter', 'orders');
    await expect.poll(() => names.allTextContents()).toEqual(['orders:invoice-42']);
    await page.fill('#filter', '');
    await page.selectOption('#sort', 'waiters');
    await expect.poll(async () => (await names.allTextContents())[0], { timeout: 20_000 }).toMatch(/orders|exports/);

    // Detail of the contended lock: the holder, then the next one after a release, with no reload.
    await page.locator('#names tr', { hasText: 'orders:invoice-42' }).click();
    const holders = page.locator('#holders tbody td:first-child');
    await expect.poll(() => holders.allTextContents(), { timeout: 20_000 }).toEqual([String(held[0]?.fence)]);
    await expect
      .poll(() => page.locator('#waiters').textContent(), { timeout: 20_000 })
      .toContain('Priority 0: 2 waiting');
    await held[0]?.release();
    const next = (await Promise.race(queued)) as Lease;
    await expect.poll(() => holders.allTextContents(), { timeout: 20_000 }).toEqual([String(next.fence)]);
    await expect
      .poll(() => page.locator('#waiters').textContent(), { timeout: 20_000 })
      .toContain('Priority 0: 1 waiting');
    expect(await page.evaluate(() => (globalThis as unknown as { __loaded?: number }).__loaded)).toBe(1);

    // Force release from the page (confirmed in the dialog), audited, and the holder loses its lease.
    await page.locator('#holders button', { hasText: 'Release' }).click();
    await eventually(() => actions.includes(`lock:orders:invoice-42:${next.fence}`), 20_000);
    // onAction runs before the release (nothing happens unaudited): the last waiter's grant is what
    // shows the release happened, since `next` holds for 30 s otherwise.
    const last = (await Promise.all(queued)).find((l) => l !== next) as Lease;
    const lost = await next.extend().catch((e: unknown) => e);
    expect(isLockstepError(lost, 'ERR_LEASE_LOST')).toBe(true);
    await expect.poll(() => holders.allTextContents(), { timeout: 20_000 }).toEqual([String(last.fence)]);

    // The hostile name's detail: text, not markup.
    await page.locator('#names tr', { hasText: SCRIPT_NAME }).click();
    await expect.poll(() => page.locator('#detail-name').textContent()).toBe(SCRIPT_NAME);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();

    // The semaphore with grants per second and wait percentiles, for the screenshot.
    await page.locator('#names tr', { hasText: 'exports' }).click();
    await expect.poll(() => page.locator('#rate-plot polyline').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#wait-plot polyline').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#waiters .group').count(), { timeout: 20_000 }).toBeGreaterThan(1);
    await expect
      .poll(() => page.locator('#waiters').textContent(), { timeout: 20_000 })
      .toMatch(/Priority (critical \(2\)|default \(1\)|bulk \(0\))/);
    // Let a few more seconds of rates accumulate so the plot shows a line.
    await sleep(Number(process.env.SCREENSHOT_WAIT_MS ?? 4_000));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
    if (process.env.UPDATE_SCREENSHOT) {
      await page.screenshot({
        path: fileURLToPath(new URL('../docs/screenshot.png', import.meta.url)),
        fullPage: true,
      });
    }
    await page.close();
    for (const lease of [...held, last]) await lease.release();
  });

  it('keeps to its own Content-Security-Policy and draws usage bars to scale', async () => {
    const sem = lockstep.semaphore('csp:bars', { limit: 4, ttlMs: 30_000 });
    const permit = await sem.acquire();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) violations.push(m.text());
    });
    await page.goto(served.url);
    const row = page.locator('#names tr', { hasText: 'csp:bars' });
    // The limit reaches Redis with the first stats flush (stats: true), then the row reads 1 / 4.
    await expect
      .poll(() => row.locator('td.num').first().textContent({ timeout: 1_000 }), { timeout: 20_000 })
      .toContain('1 / 4');
    try {
      // Polled: the list re-renders live, and a row read mid-layout (under load) measures 0 / 0.
      const share = () =>
        row
          .locator('.bar')
          .evaluate(
            (bar) => {
              const inner = bar.firstElementChild;
              return inner ? inner.getBoundingClientRect().width / bar.getBoundingClientRect().width : -1;
            },
            undefined,
            { timeout: 1_000 },
          )
          .catch(() => -1);
      await expect.poll(share, { timeout: 10_000 }).toBeCloseTo(0.25, 2);
      // The detail view (holders, waiters, plots) too.
      await row.click();
      // Shown once the detail's own event stream sends its first snapshot.
      await expect
        .poll(() => page.locator('#holders tbody td:first-child').allTextContents(), { timeout: 20_000 })
        .toEqual([String(permit.fence)]);
      await expect.poll(() => page.locator('#rate-plot polyline').count(), { timeout: 20_000 }).toBeGreaterThan(0);
      expect(violations).toEqual([]);
    } finally {
      await page.close();
      await permit.release();
    }
  });
});
