import type { FastifyInstance } from 'fastify';
import {
  createProjectRequest, memberPath, pageQuery, parseRequest, searchQuery, setMemberRequest, updateProjectRequest,
} from '../../auth/admin/admin-requests.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf, sendPage } from './api-request.js';
import { memberView, projectView } from './api-views.js';

/** Projects and their members. */
export function registerProjectRoutes(app: FastifyInstance, api: ApiContext): void {
  const { projects } = api.admin;

  // Readable as /v2/ pulls are: anonymous callers see public projects, and everyone sees all with access control off.
  app.get('/api/v1/projects', async (request, reply) => {
    const principal = await api.viewer(request);
    const { n, last, q } = queryOf(request, searchQuery);
    sendPage(request, reply, await projects.list({ principal }, q, { limit: n, after: last }, !api.accessEnabled), n, projectView, ['q']);
  });

  app.post('/api/v1/projects', async (request, reply) => {
    const actor = await api.actor(request);
    reply.code(201).send(projectView(await projects.create(actor, await jsonBody(request, createProjectRequest))));
  });

  app.get('/api/v1/projects/:name', async (request, reply) => {
    const principal = await api.viewer(request);
    const name = param(request, 'name');
    const project = await projects.get({ principal }, name, !api.accessEnabled);
    reply.send({ ...projectView(project), capabilities: await projects.capabilities({ principal }, name, !api.accessEnabled) });
  });

  app.patch('/api/v1/projects/:name', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(projectView(await projects.update(actor, param(request, 'name'), await jsonBody(request, updateProjectRequest))));
  });

  app.delete('/api/v1/projects/:name', async (request, reply) => {
    const actor = await api.actor(request);
    await projects.delete(actor, param(request, 'name'));
    noContent(reply);
  });

  app.get('/api/v1/projects/:name/members', async (request, reply) => {
    const actor = await api.actor(request);
    const { n, last } = queryOf(request, pageQuery);
    sendPage(request, reply, await projects.members(actor, param(request, 'name'), { limit: n, after: last }), n, memberView);
  });

  app.put('/api/v1/projects/:name/members', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(memberView(await projects.setMember(actor, param(request, 'name'), await jsonBody(request, setMemberRequest))));
  });

  app.delete('/api/v1/projects/:name/members/:kind/:memberName', async (request, reply) => {
    const actor = await api.actor(request);
    const { kind } = parseRequest(memberPath, { kind: param(request, 'kind') }, 'path');
    await projects.removeMember(actor, param(request, 'name'), kind, param(request, 'memberName'));
    noContent(reply);
  });
}
