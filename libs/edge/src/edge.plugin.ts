import fastifyCompress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { checkBodyHeaders, registerBodyParsers } from './body-limits.js';
import { compressionOptions } from './compression.js';
import type { EdgeSettings } from './edge-settings.js';
import { registerCors } from './cors.js';
import { refuseEarly, type CredentialRefusal, type ThrottleView } from './early-refusals.js';
import { httpsRedirect } from './https-redirect.js';
import { routeSecurityPolicies } from './security-headers.js';
import { serveDashboard } from './static-assets.js';

export interface EdgeOptions {
  config: EdgeSettings;
  /** Swagger UI's path, e.g. /api/docs (its page gets its own CSP). */
  swaggerUiPath: string;
  /** The dashboard page and its static/ folder. */
  dashboardDir: string;
  /** Clients the throttler has just refused; their bodies are refused unread. */
  throttle: ThrottleView;
  /** Auth's refusal of a request's access token when it is certain (none, or one that does not verify). */
  credentialRefusal: CredentialRefusal;
}

/**
 * The HTTP edge, as one Fastify plugin, in the order a request meets it: CORS (so browsers can read
 * every refusal), the request id on every answer and the pages' own CSP (NestJS writes the security
 * headers themselves: `securityHeaders`), the HTTPS redirect, what the client may send (413/415 on
 * headers alone, then the body parsers), response compression, and the dashboard's static files. Bodies certain to be refused (a throttled client, no
 * valid access token for a route that needs one) are answered before they are read.
 */
export const edge = fp(
  async (fastify: FastifyInstance, { config, swaggerUiPath, dashboardDir, throttle, credentialRefusal }: EdgeOptions) => {
    await registerCors(fastify, config.http);
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      done();
    });
    routeSecurityPolicies(fastify, config, swaggerUiPath);
    if (config.http.forceHttps) fastify.addHook('onRequest', httpsRedirect(config));
    fastify.addHook('onRequest', checkBodyHeaders(config));
    fastify.addHook('onRequest', refuseEarly(throttle, credentialRefusal));
    registerBodyParsers(fastify, config.http, throttle);
    await fastify.register(fastifyCompress, compressionOptions);
    await serveDashboard(fastify, config, dashboardDir);
  },
  { name: 'gad-edge', fastify: '5.x' },
);
