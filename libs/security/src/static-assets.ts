import { basename, join } from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppConfig, Environment } from '@gad/config';

const YEAR_IMMUTABLE = 'public, max-age=31536000, immutable';
const HOUR = 'public, max-age=3600';
// app.3f9a1c2e.js, logo-5d41402abc4b2a76.png: a content hash in the name means the bytes never change
const FINGERPRINTED = /[.-][0-9a-f]{8,}\.(?:js|css|png|jpg|ico)$/i;

/** The seed's cache headers in production; elsewhere revalidate every time (ETag makes that cheap). */
export function staticCacheControl(file: string, environment: Environment): string {
  if (environment !== 'production') return 'no-cache';
  return FINGERPRINTED.test(basename(file)) ? YEAR_IMMUTABLE : HOUR;
}

/** /static: files only (no listing, no index, no dotfiles); send refuses `..` after decoding. */
export function staticAssets(config: AppConfig, dir: string): RequestHandler {
  return express.static(dir, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    etag: true,
    lastModified: true,
    fallthrough: true,
    cacheControl: false,
    setHeaders: (res: Response, file: string) => res.setHeader('Cache-Control', staticCacheControl(file, config.environment)),
  });
}

/** GET /dashboard: the page itself, always revalidated so a deploy's new asset names are picked up. */
export function dashboardPage(dir: string): RequestHandler {
  const file = join(dir, 'index.html');
  return (_req: Request, res: Response, next: NextFunction) => {
    res.sendFile(file, { cacheControl: false, headers: { 'Cache-Control': 'no-cache' } }, (error?: Error) => {
      if (error) next(error);
    });
  };
}
