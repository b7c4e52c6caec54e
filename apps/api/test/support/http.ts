import { TEST_ADMIN_PASSWORD } from './test-env.js';

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  cookies: Record<string, string>;
  setCookies: string[];
}

export interface RequestOptions {
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
  /** Gives up on the request (fetch rejects) when this aborts, e.g. AbortSignal.timeout(ms). */
  signal?: AbortSignal;
}

/** Minimal JSON client over fetch that also exposes Set-Cookie. */
export async function call<T = any>(
  method: string,
  url: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.Cookie = options.cookie;
  let payload: string | undefined;
  if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    payload = new URLSearchParams(options.form).toString();
  } else if (body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(url, { method, headers, body: payload, redirect: 'manual', signal: options.signal });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  const setCookies = res.headers.getSetCookie();
  const cookies = Object.fromEntries(setCookies.map((c) => c.split(';')[0].split('=')).map(([k, ...v]) => [k, v.join('=')]));
  return { status: res.status, headers: res.headers, body: parsed as T, cookies, setCookies };
}

export interface Session {
  token: string;
  refresh: string;
}

export async function login(api: string, email: string, password: string): Promise<Session> {
  const res = await call('POST', `${api}/auth/login`, { email, password });
  if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.access_token, refresh: res.cookies.refresh_token };
}

export const ADMIN_EMAIL = 'admin@grupogad.com';
export const ADMIN_NEW_PASSWORD = 'Admin-Changed-Pass-2026!';

/** Signs in as the seeded admin and completes the forced password change; returns a usable session. */
export async function adminSession(api: string): Promise<Session> {
  const first = await login(api, ADMIN_EMAIL, TEST_ADMIN_PASSWORD).catch(() => undefined);
  if (first) {
    const changed = await call(
      'POST',
      `${api}/auth/change-password`,
      { current_password: TEST_ADMIN_PASSWORD, new_password: ADMIN_NEW_PASSWORD },
      { token: first.token },
    );
    if (changed.status !== 204)
      throw new Error(`admin password change failed: ${changed.status} ${JSON.stringify(changed.body)}`);
    return first;
  }
  return login(api, ADMIN_EMAIL, ADMIN_NEW_PASSWORD);
}

/** Creates a user as admin and returns it with a signed-in session. */
export async function createUser(
  api: string,
  admin: Session,
  input: { email: string; full_name?: string; password?: string; roles?: string[] },
): Promise<{ id: string; email: string; password: string; session: Session }> {
  const password = input.password ?? 'User-Pass-Strong-2026';
  const res = await call('POST', `${api}/users`, { full_name: 'Test User', ...input, password }, { token: admin.token });
  if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${JSON.stringify(res.body)}`);
  const session = await login(api, input.email, password);
  return { id: res.body.id, email: res.body.email, password, session };
}
