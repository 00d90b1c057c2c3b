import { eventTypes } from '../../events/registry-event.js';
import { nullable, object, operation, parameter, pathParameter, ref, time, type Schema } from './openapi-kit.js';

/** The OpenAPI description of a project's webhooks and their delivery logs. */

const eventsSchema: Schema = {
  type: 'array', minItems: 1, items: { type: 'string', enum: [...eventTypes] },
  description: 'Event types; the CloudEvents type is io.berth.<event type>.',
};
const globSchema = (what: string): Schema => ({ type: 'string', minLength: 1, maxLength: 256, description: `A glob over ${what}: * within a path component, ** across, ? one character.` });
const urlSchema: Schema = {
  type: 'string', format: 'uri', maxLength: 2048,
  description: 'http:// or https://, without credentials; it must resolve to public addresses unless the administrator set webhooks.allowPrivateTargets.',
};
const page = (item: string): Schema => object({
  items: { type: 'array', items: ref(item) },
  next: nullable('string', { description: 'Pass as `last` for the next page; null on the last page.' }),
});

export const webhookSchemas: Record<string, Schema> = {
  Webhook: object({
    id: { type: 'integer' },
    project: { type: 'string' },
    url: { type: 'string' },
    events: eventsSchema,
    repositories: globSchema('repository names below the project ("app", "app/*", "**")'),
    tags: globSchema('tags; other than "**", events that name no matching tag are not sent'),
    description: nullable('string'),
    enabled: { type: 'boolean' },
    createdBy: { type: 'string' },
    createdAt: time('When it was created.'),
    updatedAt: time('When it last changed.'),
  }),
  WebhookCreated: {
    allOf: [ref('Webhook'), object({
      secret: { type: 'string', description: 'The signing secret (whsec_<base64>), shown only here: the receiver verifies the webhook-signature header with it (Standard Webhooks).' },
    })],
  },
  WebhookSecret: object({
    id: { type: 'integer' },
    secret: { type: 'string', description: 'The new signing secret, shown only here; the old one stops signing at once.' },
  }),
  WebhookPage: page('Webhook'),
  CreateWebhook: object({
    url: urlSchema,
    events: { ...eventsSchema, description: 'Default: artifact.pushed, artifact.deleted, tag.deleted, artifact.quarantined, artifact.released.' },
    repositories: { ...globSchema('repository names below the project'), default: '**' },
    tags: { ...globSchema('tags'), default: '**' },
    description: { type: 'string', maxLength: 1000 },
    enabled: { type: 'boolean', default: true },
  }, ['url']),
  UpdateWebhook: object({
    url: urlSchema,
    events: eventsSchema,
    repositories: globSchema('repository names below the project'),
    tags: globSchema('tags'),
    description: nullable('string', { maxLength: 1000 }),
    enabled: { type: 'boolean' },
  }, []),
  WebhookAttempt: object({
    attempt: { type: 'integer', description: 'Counted over the delivery\'s life: a replay goes on from the last attempt.' },
    status: { type: 'string', enum: ['delivered', 'retrying', 'failed'] },
    responseCode: nullable('integer', { description: 'The receiver\'s HTTP status; null when none came.' }),
    durationMs: { type: 'integer' },
    error: nullable('string', { description: 'What went wrong: no answer, a redirect (never followed), or the status and the start of the body.' }),
    at: time('When the attempt ended.'),
  }),
  WebhookDelivery: object({
    id: { type: 'integer' },
    webhookId: { type: 'integer' },
    eventId: { type: 'integer', description: 'The CloudEvent id and webhook-id header: the same on every attempt and replay.' },
    type: { type: 'string', enum: [...eventTypes] },
    repository: { type: 'string' },
    digest: { type: 'string' },
    tag: nullable('string'),
    status: { type: 'string', enum: ['queued', 'retrying', 'delivered', 'failed'] },
    responseCode: nullable('integer', { description: 'The last attempt\'s response code.' }),
    error: nullable('string', { description: 'The last attempt\'s error.' }),
    createdAt: time('When the event was queued for this webhook.'),
    updatedAt: time('When its status last changed.'),
    attempts: { type: 'array', items: ref('WebhookAttempt'), description: 'Oldest first.' },
  }),
  WebhookDeliveryPage: page('WebhookDelivery'),
};

const projectName = pathParameter('name', 'The project name.');
const webhookId = parameter('id', 'path', { type: 'string', pattern: '^\\d+$' }, 'The webhook\'s id.');
const needs = 'Needs update-project (project admin): a webhook URL is often a credential itself.';

export const webhookPaths: Record<string, Record<string, Schema>> = {
  '/api/v1/projects/{name}/webhooks': {
    get: operation('listWebhooks', { summary: 'The project\'s webhooks, without their secrets.', description: needs, tag: 'webhooks', parameters: [projectName], response: 'WebhookPage', paged: true, errors: [404] }),
    post: operation('createWebhook', {
      summary: 'Subscribe a receiver to the project\'s events; the signing secret is in the response only.', tag: 'webhooks',
      parameters: [projectName], body: 'CreateWebhook', status: 201, response: 'WebhookCreated', errors: [404],
      description: `${needs} Events are POSTed as CloudEvents 1.0 (structured mode, application/cloudevents+json) signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature), retried with exponential backoff; redirects are not followed.`,
    }),
  },
  '/api/v1/projects/{name}/webhooks/{id}': {
    get: operation('getWebhook', { summary: 'A webhook, without its secret.', description: needs, tag: 'webhooks', parameters: [projectName, webhookId], response: 'Webhook', errors: [404] }),
    patch: operation('updateWebhook', { summary: 'Change a webhook\'s URL, events, filters, description, or enable or disable it.', description: needs, tag: 'webhooks', parameters: [projectName, webhookId], body: 'UpdateWebhook', response: 'Webhook', errors: [404] }),
    delete: operation('deleteWebhook', { summary: 'Delete a webhook with its delivery log.', description: needs, tag: 'webhooks', parameters: [projectName, webhookId], errors: [404] }),
  },
  '/api/v1/projects/{name}/webhooks/{id}/secret': {
    post: operation('rotateWebhookSecret', { summary: 'Give a webhook a new signing secret, shown only here.', description: needs, tag: 'webhooks', parameters: [projectName, webhookId], response: 'WebhookSecret', errors: [404] }),
  },
  '/api/v1/projects/{name}/webhooks/{id}/deliveries': {
    get: operation('listWebhookDeliveries', {
      summary: 'The delivery log, newest first, each delivery with its attempts.', description: `${needs} \`last\` is the id of the last delivery of the previous page.`,
      tag: 'webhooks', parameters: [projectName, webhookId], response: 'WebhookDeliveryPage', paged: true, errors: [400, 404],
    }),
  },
  '/api/v1/projects/{name}/webhooks/{id}/deliveries/{deliveryId}/replay': {
    post: operation('replayWebhookDelivery', {
      summary: 'Send a delivered or failed delivery again, as a new series of attempts.', tag: 'webhooks', status: 202, response: 'WebhookDelivery', errors: [404, 409],
      description: `${needs} The event keeps its id, so receivers that drop repeats drop it. 409 while the delivery is still being attempted, or when the webhook is disabled.`,
      parameters: [projectName, webhookId, parameter('deliveryId', 'path', { type: 'string', pattern: '^\\d+$' }, 'The delivery\'s id.')],
    }),
  },
};
