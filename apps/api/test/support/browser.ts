import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

// Debian's package; .ci/run installs it, CI too. Without it the browser suites are skipped, loudly.
const CHROMIUM = '/usr/bin/chromium';
/** Where screenshots go; CI uploads the folder. */
export const SCREENSHOTS = 'test-results';

/** `describe` in Chromium, or skipped with a warning when this machine has none. */
export function describeInChromium(name: string, suite: () => void): void {
  const available = existsSync(CHROMIUM);
  if (!available) console.warn(`${name}: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);
  (available ? describe : describe.skip)(name, suite);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Console errors, uncaught page errors and CSP violations of a page, from its first script on. */
export interface PageProblems {
  problems: string[];
  violations(): Promise<string[]>;
}

export async function watchPage(page: Page): Promise<PageProblems> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript({
    content: `window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  return { problems, violations: () => page.evaluate('window.__csp') as Promise<string[]> };
}

export function waitForText(page: Page, selector: string, text: string): Promise<unknown> {
  return page.waitForFunction(
    ([sel, expected]) => (globalThis as any).document.querySelector(sel)?.textContent?.trim() === expected,
    [selector, text] as const,
    { timeout: 10_000 },
  );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
