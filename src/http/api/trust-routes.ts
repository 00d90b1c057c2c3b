import type { FastifyInstance } from 'fastify';
import { parseRequest } from '../../auth/admin/admin-requests.js';
import type { TrustMode } from '../../metadata/trust-store.js';
import { trustKeyBody, trustKeyPath, trustPolicyBody, trustStatusQuery } from '../../features/trust/trust-requests.js';
import type { RegistryServices } from '../registry-services.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf } from './api-request.js';
import { projectTrustView, trustKeyView, trustStatusView } from './trust-views.js';

/** Signature trust: a project's mode and keys (its maintainers), and any manifest's signatures (whoever may pull it). */
export function registerTrustRoutes(app: FastifyInstance, api: ApiContext, services: RegistryServices): void {
  const { trust } = services;

  app.get('/api/v1/projects/:name/trust', async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(projectTrustView(await trust.show(actor, param(request, 'name'))));
  });

  app.put('/api/v1/projects/:name/trust', async (request, reply) => {
    const actor = await api.actor(request);
    const { mode, identities, perPlatform, notationPolicy } = await jsonBody(request, trustPolicyBody);
    reply.send(projectTrustView(await trust.setPolicy(actor, param(request, 'name'), {
      ...(mode !== undefined && { mode: mode as TrustMode }), ...(identities !== undefined && { identities }),
      ...(perPlatform !== undefined && { perPlatform }), ...(notationPolicy !== undefined && { notationPolicy }),
    })));
  });

  app.post('/api/v1/projects/:name/trust/keys', async (request, reply) => {
    const actor = await api.actor(request);
    const { name, cosignKey, caCertificates, notationCertificates } = await jsonBody(request, trustKeyBody);
    const project = param(request, 'name');
    const key = cosignKey !== undefined ? await trust.addKey(actor, project, name, cosignKey)
      : caCertificates !== undefined ? await trust.addRoots(actor, project, name, caCertificates)
        : await trust.addNotationStore(actor, project, name, notationCertificates!);
    reply.code(201).send(trustKeyView(key));
  });

  app.delete('/api/v1/projects/:name/trust/keys/:key', async (request, reply) => {
    const actor = await api.actor(request);
    const { key } = parseRequest(trustKeyPath, { key: param(request, 'key') }, 'path');
    await trust.removeKey(actor, param(request, 'name'), key);
    noContent(reply);
  });

  app.get('/api/v1/signatures', async (request, reply) => {
    const principal = await api.viewer(request);
    const { repository, reference } = queryOf(request, trustStatusQuery);
    reply.send(trustStatusView(await trust.status(principal, repository, reference)));
  });
}
