import type { FastifyCompressOptions } from '@fastify/compress';

export const COMPRESSION_THRESHOLD_BYTES = 1000;

/**
 * @fastify/compress: brotli, gzip or deflate as the client accepts, for compressible responses of
 * 1000 bytes or more. Event streams are written straight to the socket and never buffered by it;
 * Socket.IO never goes through Fastify's routes.
 */
export const compressionOptions: FastifyCompressOptions = {
  global: true,
  threshold: COMPRESSION_THRESHOLD_BYTES,
  encodings: ['br', 'gzip', 'deflate'],
};
