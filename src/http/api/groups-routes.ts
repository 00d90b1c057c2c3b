import type { FastifyInstance } from 'fastify';
import { createGroupRequest, pageQuery } from '../../auth/admin/admin-requests.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf, sendPage } from './api-request.js';
import { groupView, userView } from './api-views.js';

/** Groups and the members of local groups (system administrators only). */
export function registerGroupRoutes(app: FastifyInstance, api: ApiContext): void {
  const { groups } = api.admin;

  app.get('/api/v1/groups', async (request, reply) => {
    const actor = await api.actor(request);
    const { n, last } = queryOf(request, pageQuery);
    sendPage(request, reply, await groups.list(actor, { limit: n, after: last }), n, groupView);
  });

  app.post('/api/v1/groups', async (request, reply) => {
    const actor = await api.actor(request);
    reply.code(201).send(groupView(await groups.create(actor, await jsonBody(request, createGroupRequest))));
  });

  app.get('/api/v1/groups/:name', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(groupView(await groups.get(actor, param(request, 'name'))));
  });

  app.delete('/api/v1/groups/:name', async (request, reply) => {
    const actor = await api.actor(request);
    await groups.delete(actor, param(request, 'name'));
    noContent(reply);
  });

  app.get('/api/v1/groups/:name/members', async (request, reply) => {
    const actor = await api.actor(request);
    const { n, last } = queryOf(request, pageQuery);
    sendPage(request, reply, await groups.members(actor, param(request, 'name'), { limit: n, after: last }), n, userView);
  });

  app.put('/api/v1/groups/:name/members/:username', async (request, reply) => {
    const actor = await api.actor(request);
    await groups.addMember(actor, param(request, 'name'), param(request, 'username'));
    noContent(reply);
  });

  app.delete('/api/v1/groups/:name/members/:username', async (request, reply) => {
    const actor = await api.actor(request);
    await groups.removeMember(actor, param(request, 'name'), param(request, 'username'));
    noContent(reply);
  });
}
