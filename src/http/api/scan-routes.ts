import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isSystemAdmin } from '../../auth/admin/admin-actor.js';
import { principalName } from '../../auth/principal.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { ScanService } from '../../features/scanning/scan-service.js';
import { allowlistBody, projectVulnerabilitiesQuery, scanRequestBody, vulnerabilityPolicyBody, vulnerabilityQuery } from '../../features/scanning/scan-requests.js';
import type { VulnerabilityPolicyService } from '../../features/scanning/vulnerability-policy-service.js';
import type { AllowedAdvisory, VulnerabilityPolicy } from '../../metadata/scan-store.js';
import type { RegistryServices } from '../registry-services.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf } from './api-request.js';
import { projectVulnerabilitiesView } from './project-vulnerability-views.js';

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

  // A project's images, worst first, with its figures: for whoever may pull from the project.
  app.get('/api/v1/projects/:name/vulnerabilities', async (request, reply) => {
    const principal = await api.viewer(request);
    const { n, last } = queryOf(request, projectVulnerabilitiesQuery);
    const overviews = services.projectVulnerabilities;
    if (overviews === undefined) throw new RegistryError('UNSUPPORTED', 'vulnerability scanning is turned off on this registry (scanning.enabled: false)');
    const overview = await overviews.overview(principal, param(request, 'name'), last, n);
    if (overview.next !== undefined) {
      const [path, search = ''] = request.url.split('?');
      const query = new URLSearchParams(search);
      query.set('last', overview.next);
      reply.header('link', `<${path}?${query.toString()}>; rel="next"`);
    }
    reply.send(projectVulnerabilitiesView(overview));
  });

  app.post('/api/v1/scans', async (request, reply) => {
    // With access control off anyone may push, so anyone may ask for a scan; with it on, only a signed-in caller.
    const principal = api.accessEnabled ? (await api.actor(request)).principal : await api.viewer(request);
    const { repository, reference } = await jsonBody(request, scanRequestBody);
    reply.code(202).send(await scans().requestScan(principal, repository, reference));
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

  // A refresh now rather than at the next interval: after a mirror was updated, or to retry one that failed.
  app.post('/api/v1/advisory-feeds/refresh', async (request, reply) => {
    const actor = await api.actor(request);
    const service = scans();
    if (!isSystemAdmin(actor)) throw new RegistryError('DENIED', `${principalName(actor.principal)} may not refresh the advisory feed: only system administrators may`);
    reply.code(202).send({ job: await service.queueFeedRefresh() });
  });
}

/** Projects' vulnerability policies and allowlists, and the registry-wide allowlist. */
export function registerVulnerabilityPolicyRoutes(app: FastifyInstance, api: ApiContext, services: RegistryServices): void {
  const policies = (): VulnerabilityPolicyService => {
    if (services.vulnerabilityPolicies === undefined) throw new RegistryError('UNSUPPORTED', 'vulnerability scanning is turned off on this registry (scanning.enabled: false)');
    return services.vulnerabilityPolicies;
  };

  app.get('/api/v1/projects/:name/vulnerability-policy', async (request, reply) => {
    reply.send(policyView(await policies().policy(await api.actor(request), param(request, 'name'))));
  });
  app.put('/api/v1/projects/:name/vulnerability-policy', async (request, reply) => {
    const actor = await api.actor(request);
    const change = await jsonBody(request, vulnerabilityPolicyBody);
    reply.send(policyView(await policies().setPolicy(actor, param(request, 'name'), change)));
  });

  for (const scope of ['project', 'registry'] as const) {
    const path = scope === 'project' ? '/api/v1/projects/:name/vulnerability-allowlist' : '/api/v1/vulnerability-allowlist';
    const projectOf = (request: FastifyRequest) => (scope === 'project' ? param(request, 'name') : undefined);
    app.get(path, async (request, reply) => {
      const entries = await policies().allowlist(await api.actor(request), projectOf(request));
      reply.send({ items: entries.map(allowedView) });
    });
    app.post(path, async (request, reply) => {
      const actor = await api.actor(request);
      const body = await jsonBody(request, allowlistBody);
      const entry = await policies().allow(actor, projectOf(request), { advisoryId: body.advisory, reason: body.reason, expiresAt: body.expiresAt });
      reply.code(201).send(allowedView(entry));
    });
    app.delete(`${path}/:id`, async (request, reply) => {
      const actor = await api.actor(request);
      const id = Number(param(request, 'id'));
      if (!Number.isSafeInteger(id) || id < 1) throw new RegistryError('INVALID_REQUEST', 'send the id of an allowlist entry (a positive number)');
      await policies().disallow(actor, projectOf(request), id);
      noContent(reply);
    });
  }
}

function policyView(policy: VulnerabilityPolicy) {
  return {
    project: policy.project, blockSeverity: policy.blockSeverity ?? null, blockUnscanned: policy.blockUnscanned, autoQuarantine: policy.autoQuarantine,
    updatedBy: policy.updatedBy || null, updatedAt: policy.updatedAt > 0 ? new Date(policy.updatedAt).toISOString() : null,
  };
}

function allowedView(entry: AllowedAdvisory) {
  return {
    id: entry.id, project: entry.project || null, advisory: entry.advisoryId, reason: entry.reason,
    expiresAt: entry.expiresAt === undefined ? null : new Date(entry.expiresAt).toISOString(),
    expired: entry.expiresAt !== undefined && entry.expiresAt <= Date.now(),
    createdBy: entry.createdBy, createdAt: new Date(entry.createdAt).toISOString(),
  };
}
