import { compileTrustedProxies } from './trusted-proxies.js';

describe('compileTrustedProxies', () => {
  it('trusts localhost as exactly 127.0.0.1 and ::1 (and the IPv4-mapped form of 127.0.0.1)', () => {
    const trust = compileTrustedProxies(['localhost']);
    expect(trust('127.0.0.1')).toBe(true);
    expect(trust('::1')).toBe(true);
    expect(trust('::ffff:127.0.0.1')).toBe(true);
    expect(trust('127.0.0.2')).toBe(false);
    expect(trust('10.0.0.1')).toBe(false);
  });

  it('trusts CIDR ranges and exact addresses, IPv4 and IPv6', () => {
    const trust = compileTrustedProxies(['10.0.0.0/8', '172.18.0.1', 'fd00::/8']);
    expect(trust('10.255.3.4')).toBe(true);
    expect(trust('::ffff:10.1.2.3')).toBe(true);
    expect(trust('11.0.0.1')).toBe(false);
    expect(trust('172.18.0.1')).toBe(true);
    expect(trust('172.18.0.2')).toBe(false);
    expect(trust('fd12:3456::1')).toBe(true);
    expect(trust('fe80::1%eth0')).toBe(false);
  });

  it('trusts nothing when the list is empty, and never an absent or malformed address', () => {
    const trust = compileTrustedProxies([]);
    expect(trust('127.0.0.1')).toBe(false);
    expect(compileTrustedProxies(['localhost'])(undefined)).toBe(false);
    expect(compileTrustedProxies(['localhost'])('not-an-ip')).toBe(false);
  });

  it.each(['nginx', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x', ''])('refuses %p at boot', (entry) => {
    expect(() => compileTrustedProxies([entry])).toThrow(/TRUSTED_PROXY_HOSTS/);
  });
});
