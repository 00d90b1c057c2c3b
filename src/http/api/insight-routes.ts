import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSystemAdmin } from '../../auth/admin/admin-actor.js';
import { RegistryError } from '../../errors/registry-error.js';
import {
  artifactQuery, artifactReferenceQuery, jobsQuery, latestQuery, repositoriesQuery, repositoryQuery, searchRequestQuery, tagListQuery,
} from '../../insight/insight-requests.js';
import type { Page } from '../../insight/insight-service.js';
import { parseRange } from '../../insight/version-order.js';
import { principalName } from '../../auth/principal.js';
import { projectOf } from '../../auth/roles.js';
import type { RegistryServices } from '../registry-services.js';
import type { ApiContext } from './api-auth.js';
import { param, queryOf } from './api-request.js';
import { artifactDetailView, jobView, latestView, repositoryView, tagView, usageView } from './insight-views.js';

/**
 * The registry's contents for people and scripts: tag lists sorted by version or time, the artifact page, queries
 * across projects, "latest", usage figures and jobs. Reads are open to whoever may pull (anonymous callers see
 * public projects); the one change here, deleting a tag or artifact, follows /v2/'s rules exactly.
 */
export function registerInsightRoutes(app: FastifyInstance, api: ApiContext, services: RegistryServices): void {
  const { insight, inspector } = services;

  app.get('/api/v1/tags', async (request, reply) => {
    const principal = await api.viewer(request);
    const query = queryOf(request, tagListQuery);
    const page = await insight.tags(principal, query.repository, {
      sort: query.sort, order: query.order ?? (query.sort === 'name' ? 'asc' : 'desc'), pattern: query.pattern, after: query.last, limit: query.n,
    });
    sendItems(request, reply, page, tagView);
  });

  app.get('/api/v1/artifacts', async (request, reply) => {
    const principal = await api.viewer(request);
    const query = queryOf(request, artifactQuery);
    const page = await insight.query(principal, {
      ...query, repositoryPattern: query.repository, tagPattern: query.tag, labels: query.label, annotations: query.annotation,
      sort: { by: query.sort, order: query.order ?? (query.sort === 'name' ? 'asc' : 'desc') }, after: query.last, limit: query.n,
    });
    sendItems(request, reply, page, tagView);
  });

  app.get('/api/v1/latest', async (request, reply) => {
    const principal = await api.viewer(request);
    const query = queryOf(request, latestQuery);
    const range = query.range === undefined ? undefined : parseRange(query.range);
    if (typeof range === 'string') throw new RegistryError('INVALID_REQUEST', `query.range: ${range}`);
    if (range !== undefined && query.by !== 'semver') throw new RegistryError('INVALID_REQUEST', 'query.range: a version range applies to by=semver only');
    const answer = await insight.latest(principal, query.repository, { by: query.by, platform: query.platform, range, prerelease: query.prerelease });
    reply.type('application/json').send(serialized(answer, () => latestView(answer)));
  });

  app.get('/api/v1/projects/:name/repositories', async (request, reply) => {
    const principal = await api.viewer(request);
    const query = queryOf(request, repositoriesQuery);
    sendItems(request, reply, await insight.repositories(principal, param(request, 'name'), query.q, query.last, query.n), repositoryView);
  });

  app.get('/api/v1/projects/:name/usage', async (request, reply) => {
    const principal = await api.viewer(request);
    const project = param(request, 'name');
    reply.send(usageView(project, await insight.usage(principal, project)));
  });

  app.get('/api/v1/repository', async (request, reply) => {
    const principal = await api.viewer(request);
    reply.send(repositoryView(await insight.repository(principal, queryOf(request, repositoryQuery).name)));
  });

  app.get('/api/v1/artifact', async (request, reply) => {
    const principal = await api.viewer(request);
    const { repository, reference } = queryOf(request, artifactReferenceQuery);
    reply.send(artifactDetailView(await inspector.inspect(principal, repository, reference)));
  });

  app.delete('/api/v1/artifact', async (request, reply) => {
    const actor = await api.actor(request);
    const { repository, reference } = queryOf(request, artifactReferenceQuery);
    const { principal } = actor;
    const context = {
      origin: { actor: principalName(principal), actorKind: principal.kind, address: actor.address },
      principal,
      requestId: request.id,
      may: async (action: 'pull' | 'push' | 'delete', name: string) => (await services.access.policy.actions(principal, name)).has(action),
    };
    if (!(await context.may('delete', repository))) {
      if (!(await context.may('pull', repository))) throw new RegistryError('NAME_UNKNOWN', `there is no repository "${repository}" you may see`, { repository });
      throw new RegistryError('DENIED', `${principalName(principal)} may not delete from ${repository}: that needs the maintainer or project admin role`);
    }
    const digest = await services.manifests.delete(context, repository, reference);
    reply.send({ repository, reference, digest });
  });

  app.get('/api/v1/search', async (request, reply) => {
    const principal = await api.viewer(request);
    const { q, n } = queryOf(request, searchRequestQuery);
    const hits = await insight.search(principal, q, n);
    reply.send({ ...hits, repositories: hits.repositories.map((name) => ({ name, project: projectOf(name) })) });
  });

  app.get('/api/v1/jobs', async (request, reply) => {
    const actor = await api.actor(request);
    if (!isSystemAdmin(actor)) throw new RegistryError('DENIED', `${principalName(actor.principal)} may not list jobs: only system administrators may`);
    const query = queryOf(request, jobsQuery);
    sendItems(request, reply, await insight.jobs({ status: query.status, kind: query.kind }, query.last, query.n), jobView);
  });
}

/**
 * A page as `{"items": [...], "next": <cursor> | null}` with a Link header to the next page that repeats every
 * parameter of the request (repeated ones too: label filters) with the new cursor.
 */
function sendItems<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>, view: (item: T) => unknown): void {
  if (page.next !== undefined) {
    const [path, search = ''] = request.url.split('?');
    const query = new URLSearchParams(search);
    query.set('last', page.next);
    reply.header('link', `<${path}?${query.toString()}>; rel="next"`);
  }
  reply.type('application/json').send(serialized(page, () => ({ items: page.items.map(view), next: page.next ?? null })));
}

/**
 * The JSON of an answer, written once per answer object: the insight service hands out the same object for the
 * same question until a write changes the registry, so a list asked for again costs no serialisation.
 */
const bodies = new WeakMap<object, string>();

function serialized(answer: object, view: () => unknown): string {
  let body = bodies.get(answer);
  if (body === undefined) {
    body = JSON.stringify(view());
    bodies.set(answer, body);
  }
  return body;
}
