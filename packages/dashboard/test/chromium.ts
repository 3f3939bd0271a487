// Debian's Chromium, headless, driven by playwright-core (which downloads no browser of its own).
import { type Browser, chromium } from 'playwright-core';

/** Launches Chromium (`CHROMIUM_PATH`, else /usr/bin/chromium) with the flags a CI container needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}
