import type { Browser } from 'playwright-core';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { ADMIN_EMAIL, ADMIN_NEW_PASSWORD, adminSession, createUser } from './support/http.js';
import { closeAll, connected, dashboardSocket, nextEvent } from './support/socket-client.js';
import { startApp, type TestApp } from './support/test-app.js';
import { describeInChromium, launchChromium, screenshot, waitForText, watchPage } from './support/browser.js';

describeInChromium('dashboard in Chromium', () => {
  let db: ThrowawayDatabase;
  let t: TestApp;
  let browser: Browser;
  let operator: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    t = await startApp({ DATABASE_URL: db.url, LOGIN_MAX_ATTEMPTS: '1000' });
    // the forced first password change goes over HTTP; the page then signs in with the new one
    const admin = await adminSession(t.api);
    operator = await createUser(t.api, admin, {
      email: 'operadora@example.com',
      full_name: 'Operadora Uno',
      roles: ['operator'],
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    closeAll();
    await browser?.close();
    await t?.close();
    await db?.drop();
  });

  it('signs in, follows who is online, and sends and receives a broadcast, with no console error or CSP violation', async () => {
    const context = await browser.newContext({ locale: 'es-ES', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const { problems, violations } = await watchPage(page);

    const res = await page.goto(`${t.origin}/dashboard`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);

    await page.fill('#email', ADMIN_EMAIL);
    await page.fill('#password', ADMIN_NEW_PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#connection-state[data-state="connected"]');
    await waitForText(page, '#online-count', '1');
    await page.waitForSelector('#status-database[data-value="up"]');

    // a second client appears in the live count and in the admin's list
    const other = await connected(dashboardSocket(t.origin, operator.session.token));
    await waitForText(page, '#online-count', '2');
    await page.waitForSelector('#online-users li:has-text("Operadora Uno")');

    // the broadcast form reaches the other client and the page's own feed
    const arriving = nextEvent(other, 'notification');
    await page.fill('#broadcast-message', 'Simulacro a las 10:00');
    await page.selectOption('#broadcast-level', 'warning');
    await page.click('#broadcast-submit');
    expect(await arriving).toMatchObject({ message: 'Simulacro a las 10:00', level: 'warning' });
    await page.waitForSelector('#notifications li[data-level="warning"]:has-text("Simulacro a las 10:00")');

    // and the count drops when it leaves
    other.disconnect();
    await waitForText(page, '#online-count', '1');

    await screenshot(page, 'dashboard');
    expect(await violations()).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
  it('draws the traffic of the last minutes as soon as an admin connects, before any live update', async () => {
    for (let i = 0; i < 30; i++) expect((await fetch(`${t.api}/health`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5600)); // the server records a sample every 5 s
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const { problems, violations } = await watchPage(page);
    await page.goto(`${t.origin}/dashboard`);
    await page.fill('#email', ADMIN_EMAIL);
    await page.fill('#password', ADMIN_NEW_PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#connection-state[data-state="connected"]');
    // the history (a recorded sample and now) plus the status sent on connect; live updates come every 5 s
    await page.waitForFunction(
      () => Number((globalThis as any).document.querySelector('#chart').dataset.points) >= 3,
      undefined,
      {
        timeout: 2000,
      },
    );
    const drawn = await page.evaluate(() => {
      const canvas = (globalThis as any).document.querySelector('#chart');
      const probe = (globalThis as any).document.createElement('canvas').getContext('2d');
      probe.fillStyle = (globalThis as any).getComputedStyle(canvas).getPropertyValue('--chart-rps').trim();
      const hex = probe.fillStyle as string; // normalised to #rrggbb
      const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      // near the line's colour: an anti-aliased steep line has few pixels of the exact colour
      const near = (i: number) => [0, 1, 2].every((c) => Math.abs(data[i + c] - rgb[c]) <= 48) && data[i + 3] > 128;
      for (let i = 0; i < data.length; i += 4) if (near(i)) count++;
      return count;
    });
    expect(drawn).toBeGreaterThan(20); // pixels of the request-rate line
    await screenshot(page, 'dashboard-history');
    expect(await violations()).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
