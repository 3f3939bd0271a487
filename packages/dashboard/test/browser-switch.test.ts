// Switching the open name to another of the same name but another kind (lock "x" to semaphore "x")
// must not show the first one's detail under the second's heading while the second's first update
// is on its way. Real Chromium (playwright-core) against a live Redis; a host middleware holds the
// semaphore's event stream back, so the page has only the lock's last update meanwhile.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standaloneLockstep } from '../../../test/support/fixtures.js';
import { launchChromium } from './chromium.js';
import { type Served, serveDashboard } from './serve.js';

// Locators, not page-side functions: the page's Content-Security-Policy forbids eval, which
// polling a string expression needs.
const HOLDER_ROWS = '#holders tbody tr td.countdown';
const HOLD_BACK_MS = 3_000;

let browser: Browser;
let served: Served;
let lease: { release(): Promise<boolean> } | undefined;

beforeAll(async () => {
  const { lockstep } = standaloneLockstep();
  lease = await lockstep.lock('x', { ttlMs: 60_000 }).acquire();
  served = await serveDashboard({ lockstep, intervalMs: 200 }, (req, _res, next) => {
    if (req.path === '/api/events' && req.query.kind === 'semaphore') setTimeout(next, HOLD_BACK_MS);
    else next();
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await lease?.release();
});

describe('switching between a lock and a semaphore of one name', () => {
  it("never shows the lock's holders under the semaphore's heading", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${served.url}#/lock/x`);
      await page.locator(HOLDER_ROWS).first().waitFor({ timeout: 5_000 });
      await page.evaluate("location.hash = '#/semaphore/x'");
      await page.locator('#detail-kind', { hasText: 'semaphore' }).waitFor({ timeout: 5_000 });
      expect(await page.locator('#detail-name').textContent()).toBe('x');
      // The semaphore's first update is held back: what the page shows now is all it has.
      expect(await page.locator(HOLDER_ROWS).count()).toBe(0);
    } finally {
      await page.close();
    }
  });
});
