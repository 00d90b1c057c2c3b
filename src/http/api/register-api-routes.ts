import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../../errors/registry-error.js';
import type { RegistryServices } from '../registry-services.js';
import { apiActor, apiViewer, type ApiContext } from './api-auth.js';
import { registerInsightRoutes } from './insight-routes.js';
import { registerScanRoutes, registerVulnerabilityPolicyRoutes } from './scan-routes.js';
import { registerScannerRoutes } from './scanner-routes.js';
import { registerTrustRoutes } from './trust-routes.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerGroupRoutes } from './groups-routes.js';
import { registerMeRoutes } from './me-routes.js';
import { registerOpenApiRoute } from './openapi.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { registerProjectRoutes } from './projects-routes.js';
import { registerRobotRoutes } from './robots-routes.js';
import { registerUserRoutes } from './users-routes.js';
import { registerWebhookRoutes } from './webhooks-routes.js';

/**
 * The administration API under /api/v1: JSON over HTTP, described by /api/v1/openapi.json. Each route
 * authenticates the caller, hands the request to AdminService (which holds every rule) and writes its answer.
 */
export function registerApiRoutes(app: FastifyInstance, services: RegistryServices): void {
  const { access, admin } = services;
  const api: ApiContext = {
    admin, accessEnabled: access.enabled, actor: (request) => apiActor(access, admin, request), viewer: (request) => apiViewer(access, admin, request),
  };

  registerOpenApiRoute(app);
  registerMeRoutes(app, api);
  registerUserRoutes(app, api);
  registerProjectRoutes(app, api);
  registerRobotRoutes(app, api);
  registerGroupRoutes(app, api);
  registerAuditRoutes(app, api);
  registerPolicyRoutes(app, api, services);
  registerWebhookRoutes(app, api, () => services.webhooks);
  registerInsightRoutes(app, api, services);
  registerScanRoutes(app, api, services);
  registerVulnerabilityPolicyRoutes(app, api, services);
  registerScannerRoutes(app, api, services);
  registerTrustRoutes(app, api, services);

  // Anything else under /api/v1 is answered in the API's own terms, pointing at its description.
  app.all('/api/v1/*', async (request) => {
    throw new RegistryError('NOT_FOUND',
      `no such endpoint: ${request.method} ${request.url.split('?')[0]!.slice(0, 300)}; the API is described at /api/v1/openapi.json`);
  });
}
