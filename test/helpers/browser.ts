import fs from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { missing } from './missing.ts';

/** Debian's chromium package (CI installs it with apt-get; `.ci/run` does when it is missing). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * A headless Debian chromium driven by playwright-core, closed after the test. In CI a missing chromium
 * fails the test loudly; on a developer machine the test is skipped with the reason.
 */
export async function launchChromium(t: TestContext): Promise<Browser | null> {
  if (!fs.existsSync(CHROMIUM)) {
    return missing(t, `${CHROMIUM} is missing (apt-get install -y chromium)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  t.after(() => browser.close());
  return browser;
}
