import { BlockList, isIP } from 'node:net';

/**
 * Fastify `trustProxy` from TRUSTED_PROXY_HOSTS: exact IPs, CIDR ranges (`10.0.0.0/8`) and
 * `localhost` (127.0.0.1 and ::1 only). X-Forwarded-* is honoured only while the hop that sent it
 * is in the list, so req.ip is the first untrusted address from the right. Anything else in the
 * list (a hostname, a typo) stops the boot rather than being silently ignored.
 */
export function compileTrustedProxies(hosts: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const raw of hosts) {
    const entry = raw.trim();
    if (entry.toLowerCase() === 'localhost') {
      list.addAddress('127.0.0.1', 'ipv4');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = family === 6 ? 128 : 32;
    const validPrefix = bits === undefined || (/^\d{1,3}$/.test(prefix) && bits <= maxBits);
    if (family === 0 || rest.length > 0 || !validPrefix) {
      throw new Error(`TRUSTED_PROXY_HOSTS: "${raw}" is not an IP address, a CIDR range or "localhost"`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  return (address) => {
    if (!address) return false;
    const bare = address.split('%')[0];
    const family = isIP(bare);
    return family !== 0 && list.check(bare, family === 6 ? 'ipv6' : 'ipv4');
  };
}
