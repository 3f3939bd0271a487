// The page's URL hash (#/kind/name) is shared by hand: a malformed or hostile one must not break
// the page. Real Chromium (playwright-core) against a live Redis.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standaloneLockstep } from '../../../test/support/fixtures.js';
import { launchChromium } from './chromium.js';
import { type Served, serveDashboard } from './serve.js';

// The status line, read through a locator: the page's Content-Security-Policy forbids the eval that
// waitForFunction needs to poll a string expression.
const status = (page: Page) => page.locator('#status').textContent();

let browser: Browser;
let served: Served;

beforeAll(async () => {
  const { lockstep } = standaloneLockstep();
  served = await serveDashboard({ lockstep, intervalMs: 200 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

describe('the page behind a shared link', () => {
  it('goes live with a malformed percent-encoding in the hash, showing the list', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${served.url}#/lock/%E0%A4%A`);
      await expect.poll(() => status(page), { timeout: 5_000 }).toBe('live');
      expect(errors).toEqual([]);
      // A later malformed hash typed by hand does not break it either.
      await page.evaluate("location.hash = '#/semaphore/%'");
      await expect.poll(() => status(page), { timeout: 5_000 }).toBe('live');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
