// CDN_BASE_URL: the dashboard's scripts, styles and icon come from a second server (a pull-through CDN
// in front of /static, as CloudFront or Fastly would be), under a CSP that allows exactly that origin.
import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/databases.js';
import { ADMIN_EMAIL, ADMIN_NEW_PASSWORD, adminSession } from './support/http.js';
import { startApp, type TestApp } from './support/test-app.js';
import { describeInChromium, launchChromium, screenshot, watchPage } from './support/browser.js';

const PASSED_ON = ['content-type', 'cache-control', 'etag', 'access-control-allow-origin', 'cross-origin-resource-policy'];

/** Serves GET /static/* by fetching it from the app once and keeping it, as a CDN's edge would. */
class PullThroughCdn {
  readonly served: string[] = [];
  private readonly cache = new Map<string, { status: number; headers: Record<string, string>; body: Buffer }>();
  private server?: Server;
  upstream = '';
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void (async () => {
        const path = req.url ?? '/';
        if (req.method !== 'GET' || !path.startsWith('/static/')) return void res.writeHead(404).end();
        let hit = this.cache.get(path);
        if (!hit) {
          const upstream = await fetch(`${this.upstream}${path}`);
          const headers = Object.fromEntries(
            PASSED_ON.flatMap((h) => (upstream.headers.has(h) ? [[h, upstream.headers.get(h)!]] : [])),
          );
          hit = { status: upstream.status, headers, body: Buffer.from(await upstream.arrayBuffer()) };
          if (upstream.ok) this.cache.set(path, hit);
        }
        this.served.push(path);
        res.writeHead(hit.status, hit.headers).end(hit.body);
      })().catch(() => res.writeHead(502).end());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describeInChromium('dashboard assets through a CDN (CDN_BASE_URL)', () => {
  let db: ThrowawayDatabase;
  let t: TestApp;
  let browser: Browser;
  const cdn = new PullThroughCdn();

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    await cdn.start();
    t = await startApp({
      ENVIRONMENT: 'staging',
      CDN_BASE_URL: `${cdn.origin}/`,
      DATABASE_URL: db.url,
      LOGIN_MAX_ATTEMPTS: '1000',
    });
    cdn.upstream = t.origin;
    await adminSession(t.api); // the forced first password change; the page signs in with the new one
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await cdn.stop();
    await db?.drop();
  });

  it('loads every asset from the CDN, hashed and immutable, with no CSP violation or console error', async () => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const { problems, violations } = await watchPage(page);
    const assets: { url: string; status: number; cacheControl?: string }[] = [];
    page.on('response', (res) => {
      if (/\.(js|css|svg)$/.test(new URL(res.url()).pathname)) {
        assets.push({ url: res.url(), status: res.status(), cacheControl: res.headers()['cache-control'] });
      }
    });

    const res = await page.goto(`${t.origin}/dashboard`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['cache-control']).toBe('no-cache');
    const csp = res?.headers()['content-security-policy'] ?? '';
    for (const directive of ['script-src', 'style-src', 'img-src', 'font-src'])
      expect(csp).toContain(`${directive} 'self' ${cdn.origin}`);
    expect(csp).toContain("connect-src 'self';");

    await page.fill('#email', ADMIN_EMAIL);
    await page.fill('#password', ADMIN_NEW_PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#connection-state[data-state="connected"]');
    await page.waitForSelector('#status-database[data-value="up"]');

    const fromPage = assets.filter((a) => !a.url.includes('/socket.io/'));
    const names = fromPage.map((a) => new URL(a.url).pathname.split('/').pop());
    for (const name of ['dashboard', 'i18n', 'chart'])
      expect(names).toContainEqual(expect.stringMatching(new RegExp(`^${name}\\.[0-9a-f]{12}\\.js$`)));
    expect(names).toContainEqual(expect.stringMatching(/^dashboard\.[0-9a-f]{12}\.css$/));
    for (const asset of fromPage) {
      expect(asset.url.startsWith(`${cdn.origin}/static/`)).toBe(true);
      expect(asset).toMatchObject({ status: 200, cacheControl: 'public, max-age=31536000, immutable' });
    }
    expect(cdn.served.length).toBeGreaterThanOrEqual(4);

    await screenshot(page, 'dashboard-cdn');
    expect(await violations()).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
