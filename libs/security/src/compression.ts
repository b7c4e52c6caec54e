import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';

export const COMPRESSION_THRESHOLD_BYTES = 1000;

/**
 * gzip, or brotli when the client accepts it, for responses of 1000 bytes or more. Never for
 * event streams (compression would buffer them), Socket.IO, or types that are already compressed
 * (the default filter only accepts compressible types).
 */
export function compressResponses(): RequestHandler {
  const compress = compression({
    threshold: COMPRESSION_THRESHOLD_BYTES,
    filter: (req: Request, res: Response) => {
      if (req.path.startsWith('/socket.io')) return false;
      if (String(res.getHeader('Content-Type') ?? '').startsWith('text/event-stream')) return false;
      return compression.filter(req, res);
    },
  });
  // most API clients send no Accept-Encoding: skip wrapping their responses at all
  return (req, res, next) => (req.headers['accept-encoding'] ? compress(req, res, next) : next());
}
