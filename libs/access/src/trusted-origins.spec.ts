import { TrustedOrigins, normalizeOrigin } from './trusted-origins.js';

describe('TrustedOrigins', () => {
  const origins = new TrustedOrigins(['https://App.Example.com/', ' http://localhost:3000 ']);

  it('compares origins as browsers send them: case, trailing slash and spaces do not matter', () => {
    expect(normalizeOrigin(' HTTPS://App.Example.com// ')).toBe('https://app.example.com');
    expect(origins.isListed('https://app.example.com')).toBe(true);
    expect(origins.isListed('http://localhost:3000/')).toBe(true);
    expect(origins.isListed('https://app.example.com.evil.test')).toBe(false);
    expect(origins.isListed('null')).toBe(false);
  });

  it("trusts a page of the request's own host, whatever the case of its Host header", () => {
    expect(origins.isTrusted('https://api.example.com', 'API.Example.com')).toBe(true);
    expect(origins.isTrusted('https://api.example.com:8443', 'api.example.com:8443')).toBe(true);
    expect(origins.isTrusted('https://api.example.com', 'api.example.com:8443')).toBe(false);
    expect(origins.isTrusted('https://evil.test', 'api.example.com')).toBe(false);
    expect(origins.isTrusted('https://evil.test', undefined)).toBe(false);
    expect(origins.isTrusted('null', 'api.example.com')).toBe(false);
    expect(origins.isTrusted('not a url', 'api.example.com')).toBe(false);
  });
});
