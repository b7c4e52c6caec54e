import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { EnvironmentName } from '@gad/config';
import type { EdgeSettings } from './edge-settings.js';
import { assetUrl } from './asset-url.js';

const YEAR_IMMUTABLE = 'public, max-age=31536000, immutable';
const HOUR = 'public, max-age=3600';
// app.3f9a1c2e.js, logo-5d41402abc4b2a76.png: a content hash in the name means the bytes never change
const FINGERPRINTED = /[.-][0-9a-f]{8,}\.(?:js|css|png|jpg|ico)$/i;

/** Long cache headers in production (a year for fingerprinted names); elsewhere revalidate every time (ETag). */
export function staticCacheControl(file: string, environment: EnvironmentName): string {
  if (environment !== 'production') return 'no-cache';
  return FINGERPRINTED.test(basename(file)) ? YEAR_IMMUTABLE : HOUR;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
// './chart.js' in a module or a stylesheet: a sibling file, renamed along with it
const SIBLING = /(['"])\.\/([\w-]+\.\w+)\1/g;

export interface FingerprintedAsset {
  /** e.g. dashboard.js */
  name: string;
  /** e.g. dashboard.3f9a1c2e0b7d.js */
  hashed: string;
  body: Buffer;
  type: string;
}

/**
 * A content-hashed copy of each file in `dir` (the top level; there is no build step): the hash of
 * a module covers the hashed names of the siblings it imports, so a changed chart.js also renames the
 * dashboard.js that imports it, and no cached copy anywhere can mix versions.
 */
export function fingerprintAssets(dir: string): Map<string, FingerprintedAsset> {
  const assets = new Map<string, FingerprintedAsset>();
  if (!existsSync(dir)) return assets;
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && CONTENT_TYPES[extname(entry.name)])
    .map((entry) => entry.name);
  const visit = (name: string, trail: string[]): FingerprintedAsset => {
    const done = assets.get(name);
    if (done) return done;
    if (trail.includes(name)) throw new Error(`assets import each other in a cycle: ${[...trail, name].join(' → ')}`);
    const ext = extname(name);
    let body = readFileSync(join(dir, name));
    if (ext === '.js' || ext === '.css') {
      const text = body
        .toString('utf8')
        .replace(SIBLING, (reference, quote: string, sibling: string) =>
          names.includes(sibling) ? `${quote}./${visit(sibling, [...trail, name]).hashed}${quote}` : reference,
        );
      body = Buffer.from(text);
    }
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const asset = { name, hashed: `${basename(name, ext)}.${hash}${ext}`, body, type: CONTENT_TYPES[ext] };
    assets.set(name, asset);
    return asset;
  };
  for (const name of names) visit(name, []);
  return assets;
}

/**
 * Socket.IO's browser client, as a content-hashed dashboard asset (`/static/socket.io.min.<hash>.js`):
 * the Socket.IO server itself no longer serves `/socket.io/socket.io.js` (serveClient: false), so the
 * bundle is reachable only under a name that says nothing of its version, cached like the other assets.
 */
export function socketIoClientAsset(): FingerprintedAsset | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('socket.io');
    const file = join(dirname(entry), '..', 'client-dist', 'socket.io.min.js');
    const body = readFileSync(file);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    return { name: 'socket.io.min.js', hashed: `socket.io.min.${hash}.js`, body, type: CONTENT_TYPES['.js'] };
  } catch {
    return undefined;
  }
}

/** index.html with each `/static/<file>` pointing at its hashed name, on the CDN when CDN_BASE_URL applies. */
export function renderDashboardPage(html: string, assets: Map<string, FingerprintedAsset>, config: EdgeSettings): string {
  return html.replace(/\/static\/([\w.-]+)/g, (path, name: string) => {
    const asset = assets.get(name);
    return asset ? assetUrl(config, 'static', asset.hashed) : path;
  });
}

/**
 * GET /dashboard: the page, always revalidated (ETag) so that a deploy's new asset names are picked up.
 * /static/<name>.<hash>.<ext>: the hashed copies, cached for a year, readable from any origin (a CDN in
 * front of /static serves them to the page's origin, and module scripts are fetched with CORS).
 * /static/<file>: the files as they are (no listing, no index, no dotfiles; `..` refused after decoding).
 */
export async function serveDashboard(fastify: FastifyInstance, config: EdgeSettings, dashboardDir: string): Promise<void> {
  const staticDir = join(dashboardDir, 'static');
  const assets = fingerprintAssets(staticDir);
  const client = socketIoClientAsset();
  if (client && !assets.has(client.name)) assets.set(client.name, client);
  for (const asset of assets.values()) {
    fastify.get(`/static/${asset.hashed}`, (_request, reply) => {
      if (!reply.hasHeader('access-control-allow-origin')) void reply.header('access-control-allow-origin', '*');
      return reply.header('cache-control', YEAR_IMMUTABLE).type(asset.type).send(asset.body);
    });
  }

  const indexFile = join(dashboardDir, 'index.html');
  const page = existsSync(indexFile) ? renderDashboardPage(readFileSync(indexFile, 'utf8'), assets, config) : undefined;
  const etag = page && `"${createHash('sha256').update(page).digest('base64url').slice(0, 27)}"`;
  fastify.get('/dashboard', (request, reply) => {
    if (!page) return reply.callNotFound();
    void reply.header('cache-control', 'no-cache').header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(page);
  });

  await fastify.register(fastifyStatic, {
    root: staticDir,
    prefix: '/static/',
    index: false,
    redirect: false,
    list: false,
    allowedPath: (path) => !path.endsWith('/'), // a folder is 404, as an unknown file is
    dotfiles: 'ignore',
    etag: true,
    lastModified: true,
    cacheControl: false,
    setHeaders: (reply, file) => void reply.header('cache-control', staticCacheControl(file, config.app.environment)),
  });
}
