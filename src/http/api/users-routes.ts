import type { FastifyInstance } from 'fastify';
import { createUserRequest, searchQuery, updateUserRequest } from '../../auth/admin/admin-requests.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf, sendPage } from './api-request.js';
import { userView } from './api-views.js';

/** Users: listed, created and deleted by system administrators; changed by them or, in part, by the user. */
export function registerUserRoutes(app: FastifyInstance, api: ApiContext): void {
  const { users } = api.admin;

  app.get('/api/v1/users', async (request, reply) => {
    const actor = await api.actor(request);
    const { n, last, q } = queryOf(request, searchQuery);
    sendPage(request, reply, await users.list(actor, q, { limit: n, after: last }), n, userView, ['q']);
  });

  app.post('/api/v1/users', async (request, reply) => {
    const actor = await api.actor(request);
    reply.code(201).send(userView(await users.create(actor, await jsonBody(request, createUserRequest))));
  });

  app.get('/api/v1/users/:username', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(userView(await users.get(actor, param(request, 'username'))));
  });

  app.patch('/api/v1/users/:username', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(userView(await users.update(actor, param(request, 'username'), await jsonBody(request, updateUserRequest))));
  });

  app.delete('/api/v1/users/:username', async (request, reply) => {
    const actor = await api.actor(request);
    await users.delete(actor, param(request, 'username'));
    noContent(reply);
  });
}
