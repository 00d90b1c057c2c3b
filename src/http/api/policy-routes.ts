import type { FastifyInstance } from 'fastify';
import { parseRequest } from '../../auth/admin/admin-requests.js';
import type { ImmutableTagService } from '../../features/immutable-tags/immutable-tag-service.js';
import {
  addImmutableRuleRequest, artifactQuery, quarantineRequest, quarantinesQuery, ruleIdPath,
} from '../../features/policy-requests.js';
import type { QuarantineService } from '../../features/quarantine/quarantine-service.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf } from './api-request.js';
import { immutableRuleView, pullerView, quarantineView } from './policy-views.js';

/** Immutable-tag rules of a project, and quarantine and recall of images. */
export function registerPolicyRoutes(app: FastifyInstance, api: ApiContext,
  policies: { readonly immutableTags: ImmutableTagService; readonly quarantines: QuarantineService }): void {
  const { immutableTags, quarantines } = policies;

  app.get('/api/v1/projects/:name/immutable-tags', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send({ items: (await immutableTags.list(actor, param(request, 'name'))).map(immutableRuleView) });
  });

  app.post('/api/v1/projects/:name/immutable-tags', async (request, reply) => {
    const actor = await api.actor(request);
    const { tags, repositories } = await jsonBody(request, addImmutableRuleRequest);
    reply.code(201).send(immutableRuleView(await immutableTags.add(actor, param(request, 'name'), tags, repositories)));
  });

  app.delete('/api/v1/projects/:name/immutable-tags/:id', async (request, reply) => {
    const actor = await api.actor(request);
    const { id } = parseRequest(ruleIdPath, { id: param(request, 'id') }, 'path');
    await immutableTags.remove(actor, param(request, 'name'), id);
    noContent(reply);
  });

  app.get('/api/v1/quarantines', async (request, reply) => {
    const actor = await api.actor(request);
    const { project, n } = queryOf(request, quarantinesQuery);
    reply.send({ items: (await quarantines.list(actor, project, n)).map(quarantineView) });
  });

  app.post('/api/v1/quarantines', async (request, reply) => {
    const actor = await api.actor(request);
    const { repository, digest, reason } = await jsonBody(request, quarantineRequest);
    reply.code(201).send(quarantineView(await quarantines.quarantine(actor, repository, digest, reason)));
  });

  app.delete('/api/v1/quarantines', async (request, reply) => {
    const actor = await api.actor(request);
    const { repository, digest } = queryOf(request, artifactQuery);
    await quarantines.release(actor, repository, digest);
    noContent(reply);
  });

  app.get('/api/v1/pullers', async (request, reply) => {
    const actor = await api.actor(request);
    const { repository, digest } = queryOf(request, artifactQuery);
    reply.send({ items: (await quarantines.pullers(actor, repository, digest)).map(pullerView) });
  });
}
