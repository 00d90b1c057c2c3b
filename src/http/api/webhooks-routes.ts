import type { FastifyInstance } from 'fastify';
import { pageQuery } from '../../auth/admin/admin-requests.js';
import type { WebhookService } from '../../features/webhooks/webhook-service.js';
import { createWebhookRequest, deliveriesQuery, updateWebhookRequest } from '../../features/webhooks/webhook-requests.js';
import type { DeliveryAttempt, Webhook, WebhookDelivery } from '../../metadata/webhook-store.js';
import type { ApiContext } from './api-auth.js';
import { jsonBody, noContent, param, queryOf, sendPage } from './api-request.js';
import { iso } from './api-views.js';

/**
 * A project's webhooks and their delivery logs. The secret is in a response only when it was just made (creation,
 * rotation); `webhooks` is read per request, so the routes can be registered before the service exists.
 */
export function registerWebhookRoutes(app: FastifyInstance, api: ApiContext, webhooks: () => WebhookService): void {
  const base = '/api/v1/projects/:name/webhooks';

  app.get(base, async (request, reply) => {
    const actor = await api.actor(request);
    const { n, last } = queryOf(request, pageQuery);
    sendPage(request, reply, await webhooks().list(actor, param(request, 'name'), { limit: n, after: last }), n, webhookView);
  });

  app.post(base, async (request, reply) => {
    const actor = await api.actor(request);
    const { webhook, secret } = await webhooks().create(actor, param(request, 'name'), await jsonBody(request, createWebhookRequest));
    reply.code(201).header('cache-control', 'no-store').send({ ...webhookView(webhook), secret });
  });

  app.get(`${base}/:id`, async (request, reply) => {
    const actor = await api.actor(request);
    reply.send(webhookView(await webhooks().get(actor, param(request, 'name'), param(request, 'id'))));
  });

  app.patch(`${base}/:id`, async (request, reply) => {
    const actor = await api.actor(request);
    const change = await jsonBody(request, updateWebhookRequest);
    reply.send(webhookView(await webhooks().update(actor, param(request, 'name'), param(request, 'id'), change)));
  });

  app.delete(`${base}/:id`, async (request, reply) => {
    const actor = await api.actor(request);
    await webhooks().delete(actor, param(request, 'name'), param(request, 'id'));
    noContent(reply);
  });

  app.post(`${base}/:id/secret`, async (request, reply) => {
    const actor = await api.actor(request);
    const { webhook, secret } = await webhooks().rotate(actor, param(request, 'name'), param(request, 'id'));
    reply.header('cache-control', 'no-store').send({ id: webhook.id, secret });
  });

  app.get(`${base}/:id/deliveries`, async (request, reply) => {
    const actor = await api.actor(request);
    const { n, last } = queryOf(request, deliveriesQuery);
    const page = await webhooks().deliveries(actor, param(request, 'name'), param(request, 'id'), { limit: n, before: last });
    sendPage(request, reply, page, n, deliveryView);
  });

  app.post(`${base}/:id/deliveries/:deliveryId/replay`, async (request, reply) => {
    const actor = await api.actor(request);
    const delivery = await webhooks().replay(actor, param(request, 'name'), param(request, 'id'), param(request, 'deliveryId'));
    reply.code(202).send(deliveryView(delivery));
  });
}

/** A subscription without its secret, which is shown once. */
export function webhookView(webhook: Webhook) {
  return {
    id: webhook.id, project: webhook.project, url: webhook.url, events: webhook.eventTypes, repositories: webhook.repositoryPattern,
    tags: webhook.tagPattern, description: webhook.description ?? null, enabled: webhook.enabled, createdBy: webhook.createdBy,
    createdAt: iso(webhook.createdAt), updatedAt: iso(webhook.updatedAt),
  };
}

export function deliveryView(delivery: WebhookDelivery) {
  const last = delivery.attempts.at(-1);
  return {
    id: delivery.id, webhookId: delivery.subscriptionId, eventId: delivery.eventId, type: delivery.eventType,
    repository: delivery.repository, digest: delivery.digest, tag: delivery.tag ?? null, status: delivery.status,
    responseCode: last?.responseCode ?? null, error: delivery.error ?? null, createdAt: iso(delivery.createdAt),
    updatedAt: iso(delivery.updatedAt), attempts: delivery.attempts.map(attemptView),
  };
}

function attemptView(attempt: DeliveryAttempt) {
  return {
    attempt: attempt.attempt, status: attempt.status, responseCode: attempt.responseCode ?? null, durationMs: attempt.durationMs,
    error: attempt.error ?? null, at: iso(attempt.at),
  };
}
