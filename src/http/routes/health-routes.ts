import type { FastifyInstance } from 'fastify';
import type { HealthService } from '../../ops/health-service.js';

/**
 * GET/HEAD /healthz (liveness: the process answers) and /readyz (readiness: 200 when the database and the blob store
 * answer, 503 with what fails otherwise, and 503 once shutdown has begun). Outside /v2/, never cached.
 */
export function registerHealthRoutes(app: FastifyInstance, health: HealthService): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/healthz',
    handler: async (_request, reply) => {
      reply.header('cache-control', 'no-store').type('application/json').send('{"status":"ok"}');
    },
  });
  app.route({
    method: ['GET', 'HEAD'],
    url: '/readyz',
    handler: async (_request, reply) => {
      const { ready, checks } = await health.readiness();
      reply.code(ready ? 200 : 503).header('cache-control', 'no-store').type('application/json')
        .send(JSON.stringify({ status: ready ? 'ready' : 'unavailable', checks }));
    },
  });
}
