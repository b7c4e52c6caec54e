import type { Browser } from 'playwright-core';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { startApp, type TestApp } from './support/test-app.js';
import { describeInChromium, launchChromium, watchPage } from './support/browser.js';

// Swagger UI under its own CSP (styles may be inline, scripts may not): it must render with no violation.
describeInChromium('Swagger UI in Chromium', () => {
  let db: ThrowawayDatabase;
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    t = await startApp({ DATABASE_URL: db.url });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await db?.drop();
  });

  it('renders the API document with no CSP violation', async () => {
    const page = await browser.newPage();
    const { violations } = await watchPage(page);
    const res = await page.goto(`${t.origin}/api/docs`);
    expect(res?.headers()['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('GRUPO_GAD');
    await page.waitForSelector('.opblock-tag', { timeout: 15_000 });
    expect(await violations()).toEqual([]);
  });
});
