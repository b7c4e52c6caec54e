import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeSettings } from './edge-settings.js';
import { refuse } from './edge-problem.js';
import { hasBody } from '@gad/observability';
import { isProbePath } from './probe-paths.js';

/**
 * FORCE_HTTPS: plain-HTTP requests are redirected to https. request.protocol reads X-Forwarded-Proto
 * only from a trusted proxy (Fastify `trustProxy`). Probes stay reachable over HTTP inside the cluster.
 */
export function httpsRedirect(config: EdgeSettings) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (request.protocol === 'https' || isProbePath(config, request.url.split('?')[0])) return done();
    const host = request.host;
    if (!host) return void refuse(request, reply, 400, 'The Host header is required.');
    if (!request.raw.complete && hasBody(request.raw)) reply.header('connection', 'close'); // the body is resent to https
    // 308 keeps the method and body; GET and HEAD may use the widely cached 301
    void reply.redirect(`https://${host}${request.url}`, request.method === 'GET' || request.method === 'HEAD' ? 301 : 308);
  };
}
