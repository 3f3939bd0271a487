// The page's URL hash (#/kind/name) is shared by hand: a malformed or hostile one must not break
// the page. Real Chromium (playwright-core) against a live Redis.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standaloneLockstep } from '../../../test/support/fixtures.js';
import { launchChromium } from './chromium.js';
import { type Served, serveDashboard } from './serve.js';

// Page-side expressions as strings: this file is compiled without the DOM library.
const LIVE = "document.getElementById('status')?.textContent === 'live'";

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
      await page.waitForFunction(LIVE, undefined, { timeout: 5_000 });
      expect(errors).toEqual([]);
      // A later malformed hash typed by hand does not break it either.
      await page.evaluate("location.hash = '#/semaphore/%'");
      await page.waitForFunction(LIVE, undefined, { timeout: 5_000 });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
