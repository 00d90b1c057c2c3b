import type { FastifyInstance } from 'fastify';
import { createRobotRequest, robotsQuery, updateRobotRequest } from '../../auth/admin/admin-requests.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf, sendPage } from './api-request.js';
import { robotView } from './api-views.js';

/** Robot accounts; a secret is in a response only when it was just made (creation, rotation). */
export function registerRobotRoutes(app: FastifyInstance, api: ApiContext): void {
  const { robots } = api.admin;

  app.get('/api/v1/robots', async (request, reply) => {
    const actor = await api.actor(request);
    const { n, last, project } = queryOf(request, robotsQuery);
    sendPage(request, reply, await robots.list(actor, project, { limit: n, after: last }), n, robotView, ['project']);
  });

  app.post('/api/v1/robots', async (request, reply) => {
    const actor = await api.actor(request);
    const { robot, secret } = await robots.create(actor, await jsonBody(request, createRobotRequest));
    reply.code(201).header('cache-control', 'no-store').send({ ...robotView(robot), secret });
  });

  app.get('/api/v1/robots/:name', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(robotView(await robots.get(actor, param(request, 'name'))));
  });

  app.patch('/api/v1/robots/:name', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(robotView(await robots.update(actor, param(request, 'name'), await jsonBody(request, updateRobotRequest))));
  });

  app.delete('/api/v1/robots/:name', async (request, reply) => {
    const actor = await api.actor(request);
    await robots.delete(actor, param(request, 'name'));
    noContent(reply);
  });

  app.post('/api/v1/robots/:name/revoke', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(robotView(await robots.revoke(actor, param(request, 'name'))));
  });

  app.post('/api/v1/robots/:name/secret', async (request, reply) => {
    const actor = await api.actor(request);
    const { secret } = await robots.rotate(actor, param(request, 'name'));
    reply.header('cache-control', 'no-store').send({ secret });
  });
}
