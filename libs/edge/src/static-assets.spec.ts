import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configurationOf, validateEnvironment } from '@gad/config';
import { dashboardCsp, DASHBOARD_CSP } from './security-headers.js';
import { fingerprintAssets, renderDashboardPage } from './static-assets.js';

const config = (env: Record<string, string>) => configurationOf(validateEnvironment({ SECRET_KEY: 'x'.repeat(40), ...env }).env);

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gad-assets-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('fingerprintAssets', () => {
  const files = {
    'app.js': "import { x } from './lib.js';\nimport './missing.js';\nconsole.log(x);\n",
    'lib.js': 'export const x = 1;\n',
    'app.css': 'body { color: red; }\n',
    '.env': 'SECRET=1',
    'notes.txt': 'not an asset',
  };

  it('names each asset after its content and points imports at the hashed siblings', () => {
    const assets = fingerprintAssets(folder(files));
    expect([...assets.keys()].sort()).toEqual(['app.css', 'app.js', 'lib.js']);
    const lib = assets.get('lib.js')!;
    expect(lib.hashed).toMatch(/^lib\.[0-9a-f]{12}\.js$/);
    expect(lib.type).toBe('text/javascript; charset=utf-8');
    const app = assets.get('app.js')!.body.toString();
    expect(app).toContain(`from './${lib.hashed}'`);
    expect(app).toContain("import './missing.js'"); // not a sibling: left alone
  });

  it('renames an importer when only what it imports changed, and nothing when nothing changed', () => {
    const before = fingerprintAssets(folder(files));
    expect(fingerprintAssets(folder(files)).get('app.js')!.hashed).toBe(before.get('app.js')!.hashed);
    const after = fingerprintAssets(folder({ ...files, 'lib.js': 'export const x = 2;\n' }));
    expect(after.get('lib.js')!.hashed).not.toBe(before.get('lib.js')!.hashed);
    expect(after.get('app.js')!.hashed).not.toBe(before.get('app.js')!.hashed);
    expect(after.get('app.css')!.hashed).toBe(before.get('app.css')!.hashed);
  });

  it('refuses modules that import each other in a cycle', () => {
    expect(() => fingerprintAssets(folder({ 'a.js': "import './b.js';", 'b.js': "import './a.js';" }))).toThrow(/cycle/);
  });

  it('is empty for a folder that does not exist', () => {
    expect(fingerprintAssets('/nonexistent/gad-static').size).toBe(0);
  });
});

describe('renderDashboardPage', () => {
  const assets = fingerprintAssets(folder({ 'app.js': 'console.log(1);\n' }));
  const hashed = assets.get('app.js')!.hashed;
  const html = '<script type="module" src="/static/app.js"></script><link href="/static/other.css">';

  it('points the page at the hashed names under /static', () => {
    expect(
      renderDashboardPage(html, assets, config({ ENVIRONMENT: 'development', CDN_BASE_URL: 'https://cdn.example.com' })),
    ).toBe(`<script type="module" src="/static/${hashed}"></script><link href="/static/other.css">`);
  });

  it('and at CDN_BASE_URL in staging and production', () => {
    expect(
      renderDashboardPage(html, assets, config({ ENVIRONMENT: 'staging', CDN_BASE_URL: 'https://cdn.example.com/gad/' })),
    ).toBe(`<script type="module" src="https://cdn.example.com/gad/static/${hashed}"></script><link href="/static/other.css">`);
  });
});

describe('dashboardCsp', () => {
  it("is 'self' only without a CDN", () => {
    expect(dashboardCsp(config({ ENVIRONMENT: 'staging' }))).toBe(DASHBOARD_CSP);
    expect(dashboardCsp(config({ ENVIRONMENT: 'development', CDN_BASE_URL: 'https://cdn.example.com' }))).toBe(DASHBOARD_CSP);
  });

  it("lets the CDN's origin serve scripts, styles, images and fonts, and nothing else", () => {
    const csp = dashboardCsp(config({ ENVIRONMENT: 'production', CDN_BASE_URL: 'https://cdn.example.com:8443/gad' }));
    for (const directive of ['script-src', 'style-src', 'img-src', 'font-src']) {
      expect(csp).toContain(`${directive} 'self' https://cdn.example.com:8443`);
    }
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("default-src 'self';");
  });
});
