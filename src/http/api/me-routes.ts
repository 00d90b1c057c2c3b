import type { FastifyInstance } from 'fastify';
import { createCliSecretRequest, pageQuery } from '../../auth/admin/admin-requests.js';
import { notFound } from '../../auth/admin/admin-actor.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf, sendPage } from './api-request.js';
import { cliSecretView, iso, meView } from './api-views.js';

/** The caller's own account: who they are, and their CLI secrets. */
export function registerMeRoutes(app: FastifyInstance, api: ApiContext): void {
  const { admin } = api;

  app.get('/api/v1/me', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(meView(await admin.users.me(actor)));
  });

  app.get('/api/v1/users/me/cli-secrets', async (request, reply) => {
    const actor = await api.actor(request);
    const { n, last } = queryOf(request, pageQuery);
    sendPage(request, reply, await admin.cliSecrets.list(actor, { limit: n, after: last }), n, cliSecretView);
  });

  app.post('/api/v1/users/me/cli-secrets', async (request, reply) => {
    const actor = await api.actor(request);
    const { token, secret } = await admin.cliSecrets.create(actor, await jsonBody(request, createCliSecretRequest));
    reply.code(201).header('cache-control', 'no-store')
      .send({ id: token.id, name: token.name, secret, expiresAt: iso(token.expiresAt) });
  });

  app.delete('/api/v1/users/me/cli-secrets/:id', async (request, reply) => {
    const actor = await api.actor(request);
    const id = param(request, 'id');
    if (!/^\d{1,15}$/.test(id)) throw notFound(`you have no CLI secret with the id "${id.slice(0, 40)}": ids are numbers`);
    await admin.cliSecrets.revoke(actor, Number(id));
    noContent(reply);
  });
}
