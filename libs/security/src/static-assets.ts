import { basename, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Configuration, EnvironmentName } from '@gad/config';

const YEAR_IMMUTABLE = 'public, max-age=31536000, immutable';
const HOUR = 'public, max-age=3600';
// app.3f9a1c2e.js, logo-5d41402abc4b2a76.png: a content hash in the name means the bytes never change
const FINGERPRINTED = /[.-][0-9a-f]{8,}\.(?:js|css|png|jpg|ico)$/i;

/** The seed's cache headers in production; elsewhere revalidate every time (ETag makes that cheap). */
export function staticCacheControl(file: string, environment: EnvironmentName): string {
  if (environment !== 'production') return 'no-cache';
  return FINGERPRINTED.test(basename(file)) ? YEAR_IMMUTABLE : HOUR;
}

/**
 * /static: files only (no listing, no index, no dotfiles; `..` refused after decoding), and
 * GET /dashboard: the page itself, always revalidated so a deploy's new asset names are picked up.
 */
export async function serveDashboard(fastify: FastifyInstance, config: Configuration, dashboardDir: string): Promise<void> {
  const page = join(dashboardDir, 'index.html');
  await fastify.register(fastifyStatic, {
    root: join(dashboardDir, 'static'),
    prefix: '/static/',
    index: false,
    redirect: false,
    list: false,
    allowedPath: (path) => !path.endsWith('/'), // a folder is 404, as an unknown file is
    dotfiles: 'ignore',
    etag: true,
    lastModified: true,
    cacheControl: false,
    setHeaders: (reply, file) =>
      void reply.header('cache-control', file === page ? 'no-cache' : staticCacheControl(file, config.app.environment)),
  });
  fastify.get('/dashboard', (_request, reply) => reply.sendFile('index.html', dashboardDir, { cacheControl: false }));
}
