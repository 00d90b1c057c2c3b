import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../../errors/registry-error.js';
import type { ScanService } from '../../features/scanning/scan-service.js';
import { scanRequestBody, vulnerabilityQuery } from '../../features/scanning/scan-requests.js';
import type { RegistryServices } from '../registry-services.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, queryOf } from './api-request.js';

/**
 * Vulnerabilities: an image's (or each platform of an index's) scan state and findings, for whoever may pull it;
 * scans asked for by those who may push; the advisory feed's state.
 */
export function registerScanRoutes(app: FastifyInstance, api: ApiContext, services: RegistryServices): void {
  const scans = (): ScanService => {
    if (services.scans === undefined) throw new RegistryError('UNSUPPORTED', 'vulnerability scanning is turned off on this registry (scanning.enabled: false)');
    return services.scans;
  };

  app.get('/api/v1/vulnerabilities', async (request, reply) => {
    const principal = await api.viewer(request);
    const { repository, reference, ...filter } = queryOf(request, vulnerabilityQuery);
    reply.send(await scans().report(principal, repository, reference, filter));
  });

  app.post('/api/v1/scans', async (request, reply) => {
    const actor = await api.actor(request);
    const { repository, reference } = await jsonBody(request, scanRequestBody);
    reply.code(202).send(await scans().requestScan(actor.principal, repository, reference));
  });

  app.get('/api/v1/advisory-feeds', async (request, reply) => {
    await api.viewer(request);
    const feeds = await scans().feeds();
    reply.send({
      items: feeds.map((feed) => ({
        source: feed.source, location: feed.location, records: feed.records, refreshedAt: new Date(feed.refreshedAt).toISOString(),
        newestModified: feed.newestModified === undefined ? null : new Date(feed.newestModified).toISOString(), error: feed.error ?? null,
      })),
    });
  });
}
