/** An origin as CORS_ALLOWED_ORIGINS lists it and browsers send it: no surrounding space, no trailing slash, lower case. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * The pages whose requests may carry this API's cookies or read its answers: a CORS_ALLOWED_ORIGINS origin,
 * or (`sameSite`) a page of this very host. One check for CORS, the cookie-setting routes and socket handshakes.
 */
export class TrustedOrigins {
  private readonly listed: ReadonlySet<string>;

  constructor(allowedOrigins: readonly string[]) {
    this.listed = new Set(allowedOrigins.map(normalizeOrigin));
  }

  /** Listed in CORS_ALLOWED_ORIGINS. */
  isListed(origin: string): boolean {
    return this.listed.has(normalizeOrigin(origin));
  }

  /** Listed, or served from `host` (the request's Host header; host names compare case-insensitively). */
  isTrusted(origin: string, host: string | undefined): boolean {
    if (this.isListed(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host.toLowerCase();
    } catch {
      return false;
    }
  }
}
