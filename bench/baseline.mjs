// The bare-Node baseline: the ceiling for Node on this machine, run in the same bench as the API.
//
// node:http, node:crypto HS256 verification with the same claim checks as the app (alg HS256 only,
// signature, exp and iat with 30 s of clock skew, iss, aud "api", sub, sid, jti), an in-memory user and
// session map, and the native `bcrypt` addon at the same cost as the API for login. Same routes, same
// JSON shapes:
//   GET  /api/v1/health          liveness
//   GET  /api/v1/users/me        bearer token → the signed-in user
//   GET  /api/v1/users/:id       bearer token; admins read anyone, others only themselves (else 404)
//   POST /api/v1/auth/login      {"email","password"} → {"access_token","token_type","expires_in"} + cookies
//
// Run on its own:  PORT=9000 SECRET_KEY=… BCRYPT_ROUNDS=12 node bench/baseline.mjs
// Env: PORT (0 = any free port), HOST (127.0.0.1), SECRET_KEY (≥ 32 chars), PROJECT_NAME (the `iss`),
// BCRYPT_ROUNDS (12), ACCESS_TOKEN_EXPIRE_MINUTES (30), BASELINE_USERS (JSON list of
// {email,password,full_name?,is_superuser?,roles?}). Prints one line `READY <port>` on stdout when listening.
import bcrypt from 'bcrypt';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { exitOnSignals, runAsScript } from './script.mjs';

export const TOKEN_AUDIENCE = 'api';
export const CLOCK_SKEW_SECONDS = 30;
const PREFIX = '/api/v1';
const USERS_PREFIX = `${PREFIX}/users/`;
const JSON_TYPE = 'application/json; charset=utf-8';
const HEADER_B64 = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** HS256 signing, exactly the shape jsonwebtoken produces for the app. */
export function signHs256(payload, secret) {
  const body = `${HEADER_B64}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/**
 * Verifies an access token with the app's rules. Returns the claims or undefined.
 * Signature (HS256 only, constant-time compare), exp (+30 s skew), nbf if present, iat required and not in
 * the future (+30 s), iss, aud "api" (string or list), sub/sid/jti strings.
 */
export function verifyHs256(token, secret, issuer, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (typeof token !== 'string') return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return undefined;
  let header;
  let payload;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!header || header.alg !== 'HS256' || !payload || typeof payload !== 'object') return undefined;
  const expected = createHmac('sha256', secret).update(token.slice(0, second)).digest();
  const given = Buffer.from(token.slice(second + 1), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const { exp, iat, nbf, iss, aud, sub, sid, jti } = payload;
  if (typeof exp !== 'number' || nowSeconds >= exp + CLOCK_SKEW_SECONDS) return undefined;
  if (typeof iat !== 'number' || iat > nowSeconds + CLOCK_SKEW_SECONDS) return undefined;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + CLOCK_SKEW_SECONDS)) return undefined;
  if (iss !== issuer) return undefined;
  if (Array.isArray(aud) ? !aud.includes(TOKEN_AUDIENCE) : aud !== TOKEN_AUDIENCE) return undefined;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return undefined;
  return payload;
}

function send(res, status, body, extraHeaders) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = {
    'Content-Type': status >= 400 ? 'application/problem+json' : JSON_TYPE,
    'Content-Length': Buffer.byteLength(text),
  };
  if (extraHeaders) Object.assign(headers, extraHeaders);
  res.writeHead(status, headers);
  res.end(text);
}

const problem = (status, title, detail) => ({ type: 'about:blank', title, status, detail });

const publicUser = (u) => ({
  id: u.id,
  email: u.email,
  full_name: u.full_name,
  is_active: u.is_active,
  is_superuser: u.is_superuser,
  roles: u.roles,
  must_change_password: u.must_change_password,
  created_at: u.created_at,
  updated_at: u.updated_at,
});

/** Builds the baseline server (not listening yet). Users are hashed with bcrypt at `rounds`. */
export async function createBaseline({
  secret,
  issuer = 'GRUPO_GAD',
  rounds = 12,
  accessTtlSeconds = 1800,
  refreshTtlDays = 7,
  users = [],
  maxBodyBytes = 1 << 20,
}) {
  if (!secret || secret.length < 32) throw new Error('baseline: SECRET_KEY of at least 32 characters required');
  const byId = new Map();
  const byEmail = new Map();
  const sessions = new Map(); // sid → { userId, expiresAt, revokedAt }
  const refreshTokens = new Map(); // sha256(token) → sid
  const startedAt = Date.now();
  for (const u of users) {
    const now = new Date().toISOString();
    const user = {
      id: randomUUID(),
      email: u.email.trim().toLowerCase(),
      full_name: u.full_name ?? u.email,
      is_active: u.is_active ?? true,
      is_superuser: u.is_superuser ?? false,
      roles: [...(u.roles ?? ['operator'])].sort(),
      must_change_password: false,
      created_at: now,
      updated_at: now,
      hashed_password: await bcrypt.hash(u.password, rounds),
    };
    byId.set(user.id, user);
    byEmail.set(user.email, user);
  }
  const dummyHash = await bcrypt.hash('dummy-password-for-timing', rounds);

  /** The same principal check as the app: token, then user still active, then session still live. */
  function authenticate(req) {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const space = header.indexOf(' ');
    if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
    const claims = verifyHs256(header.slice(space + 1), secret, issuer);
    if (!claims) return undefined;
    const user = byId.get(claims.sub);
    if (!user || !user.is_active) return undefined;
    const session = sessions.get(claims.sid);
    if (!session || session.userId !== user.id || session.revokedAt || session.expiresAt <= Date.now()) return undefined;
    return user;
  }

  const unauthorized = (res) =>
    send(res, 401, problem(401, 'Unauthorized', 'The access token is invalid.'), { 'WWW-Authenticate': 'Bearer' });

  async function login(req, res) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > maxBodyBytes) return send(res, 413, problem(413, 'Payload Too Large', 'Body too large.'));
      chunks.push(chunk);
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, problem(400, 'Bad Request', 'Malformed JSON body.'));
    }
    const email = typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
    const password = typeof body?.password === 'string' ? body.password : '';
    if (!email || !password) return send(res, 400, problem(400, 'Validation failed', 'email and password are required'));
    if (Buffer.byteLength(password, 'utf8') > 72) return send(res, 400, problem(400, 'Validation failed', 'password too long'));
    const user = byEmail.get(email);
    const valid = await bcrypt.compare(password, user ? user.hashed_password : dummyHash);
    if (!user || !valid) {
      return send(res, 401, problem(401, 'Unauthorized', 'Incorrect email or password.'), { 'WWW-Authenticate': 'Bearer' });
    }
    if (!user.is_active) return send(res, 403, problem(403, 'Forbidden', 'This account is deactivated.'));
    const sid = randomUUID();
    const expiresAt = Date.now() + refreshTtlDays * 86_400_000;
    sessions.set(sid, { userId: user.id, expiresAt, revokedAt: null });
    const refresh = randomBytes(32).toString('base64url');
    refreshTokens.set(createHash('sha256').update(refresh).digest('hex'), sid);
    const iat = Math.floor(Date.now() / 1000);
    const accessToken = signHs256(
      {
        sub: user.id,
        email: user.email,
        roles: user.roles,
        sid,
        iat,
        exp: iat + accessTtlSeconds,
        aud: TOKEN_AUDIENCE,
        iss: issuer,
        jti: randomUUID(),
      },
      secret,
    );
    return send(
      res,
      200,
      { access_token: accessToken, token_type: 'bearer', expires_in: accessTtlSeconds },
      {
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
        'Set-Cookie': [
          `access_token=${accessToken}; Max-Age=${accessTtlSeconds}; Path=/; HttpOnly; SameSite=Strict`,
          `refresh_token=${refresh}; Path=${PREFIX}/auth; Expires=${new Date(expiresAt).toUTCString()}; HttpOnly; SameSite=Strict`,
        ],
      },
    );
  }

  const server = http.createServer((req, res) => {
    const q = req.url.indexOf('?');
    const path = q === -1 ? req.url : req.url.slice(0, q);
    if (req.method === 'GET') {
      if (path === `${PREFIX}/health`) {
        return send(
          res,
          200,
          {
            status: 'ok',
            version: '1.0.0',
            environment: 'production',
            uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
          },
          { 'Cache-Control': 'no-store' },
        );
      }
      if (path.startsWith(USERS_PREFIX)) {
        const principal = authenticate(req);
        if (!principal) return unauthorized(res);
        const id = path.slice(USERS_PREFIX.length);
        if (id === 'me') return send(res, 200, publicUser(principal));
        const isAdmin = principal.is_superuser || principal.roles.includes('admin');
        const user = isAdmin || id === principal.id ? byId.get(id) : undefined;
        if (!user) return send(res, 404, problem(404, 'Not Found', 'User not found.'));
        return send(res, 200, publicUser(user));
      }
    } else if (req.method === 'POST' && path === `${PREFIX}/auth/login`) {
      login(req, res).catch(() => send(res, 500, problem(500, 'Internal Server Error', 'login failed')));
      return;
    }
    send(res, 404, problem(404, 'Not Found', `Cannot ${req.method} ${path}`));
  });
  server.keepAliveTimeout = 5000;
  return { server, users: [...byId.values()].map(publicUser) };
}

async function main() {
  const env = process.env;
  const { server, users } = await createBaseline({
    secret: env.SECRET_KEY,
    issuer: env.PROJECT_NAME || 'GRUPO_GAD',
    rounds: Number(env.BCRYPT_ROUNDS || 12),
    accessTtlSeconds: Number(env.ACCESS_TOKEN_EXPIRE_MINUTES || 30) * 60,
    users: JSON.parse(env.BASELINE_USERS || '[]'),
  });
  await new Promise((ok) => server.listen(Number(env.PORT || 0), env.HOST || '127.0.0.1', ok));
  process.stdout.write(`READY ${server.address().port} ${JSON.stringify(users.map((u) => ({ id: u.id, email: u.email })))}\n`);
  exitOnSignals(() => new Promise((done) => server.close(done)));
}

runAsScript(import.meta.url, main);
