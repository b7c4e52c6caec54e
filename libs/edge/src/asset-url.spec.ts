import { configurationOf, validateEnvironment } from '@gad/config';
import { assetUrl } from './asset-url.js';
import { staticCacheControl } from './static-assets.js';

const config = (env: Record<string, string>) => configurationOf(validateEnvironment({ SECRET_KEY: 'x'.repeat(40), ...env }).env);

describe('assetUrl', () => {
  it('serves from /static locally, whatever CDN_BASE_URL says', () => {
    const dev = config({ ENVIRONMENT: 'development', CDN_BASE_URL: 'https://cdn.example.com' });
    expect(assetUrl(dev, 'static', 'dashboard.js')).toBe('/static/dashboard.js');
    expect(assetUrl(dev, 'images', 'logo.png')).toBe('/static/images/logo.png');
    expect(assetUrl(dev, 'docs', 'guide/intro.pdf')).toBe('/static/docs/guide/intro.pdf');
  });

  it('uses CDN_BASE_URL in staging and production, and /static when it is not set', () => {
    const prod = config({ ENVIRONMENT: 'staging', CDN_BASE_URL: 'https://cdn.example.com/' });
    expect(assetUrl(prod, 'static', 'app.1a2b3c4d.js')).toBe('https://cdn.example.com/static/app.1a2b3c4d.js');
    expect(assetUrl(prod, 'images', 'a b.png')).toBe('https://cdn.example.com/images/a%20b.png');
    expect(assetUrl(config({ ENVIRONMENT: 'staging' }), 'static', 'x.css')).toBe('/static/x.css');
  });

  it('refuses path segments that climb', () => {
    expect(() => assetUrl(config({ ENVIRONMENT: 'development' }), 'static', '../package.json')).toThrow();
  });
});

describe('staticCacheControl', () => {
  it('caches fingerprinted files for a year and the rest for an hour in production', () => {
    expect(staticCacheControl('/x/app.3f9a1c2e.js', 'production')).toBe('public, max-age=31536000, immutable');
    expect(staticCacheControl('/x/logo-5d41402abc4b2a76.png', 'production')).toBe('public, max-age=31536000, immutable');
    expect(staticCacheControl('/x/dashboard.js', 'production')).toBe('public, max-age=3600');
    expect(staticCacheControl('/x/app.3f9a1c2e.svg', 'production')).toBe('public, max-age=3600');
  });

  it('revalidates everything outside production', () => {
    expect(staticCacheControl('/x/app.3f9a1c2e.js', 'development')).toBe('no-cache');
  });
});
