import type { FastifyInstance } from 'fastify';
import type { MetricsService } from './metrics.service.js';

/**
 * Times every request and labels it by route template (never the raw path: ids would explode
 * cardinality). Counted until the response closes, so aborted and streamed requests leave too.
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const started = performance.now();
    metrics.httpInFlight += 1;
    reply.raw.on('close', () => {
      metrics.httpInFlight -= 1;
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.observeHttp(request.method, route, reply.raw.statusCode, (performance.now() - started) / 1000);
    });
    done();
  });
}
