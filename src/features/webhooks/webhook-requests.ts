import { z } from 'zod';
import { pageQuery } from '../../auth/admin/admin-requests.js';
import { eventTypes, type EventType } from '../../events/registry-event.js';
import { isValidGlob } from '../../registry/glob.js';

/** What the webhook routes of the administration API accept; the HTTP layer reads the JSON, these judge it. */

const eventType = z.enum(eventTypes as unknown as [EventType, ...EventType[]]);

const events = z.array(eventType).min(1, `send at least one event type, e.g. ["artifact.pushed"]; the types are ${eventTypes.join(', ')}`)
  // In the order of `eventTypes`, each once: what was asked for, whatever the order it was asked in.
  .transform((asked) => eventTypes.filter((type) => asked.includes(type)));

const glob = (what: string) => z.string()
  .refine(isValidGlob, `send a ${what} glob of 1 to 256 printable characters: * matches within a path component, ** across, ? one character`);

const url = z.string().min(1, 'send the receiver\'s URL').max(2048, 'a webhook URL may have at most 2048 characters');

const description = z.string().min(1, 'send a non-empty description').max(1000, 'a description may have at most 1000 characters')
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'a description may not contain control characters');

export const createWebhookRequest = z.object({
  url,
  events: events.optional(),
  repositories: glob('repository').optional(),
  tags: glob('tag').optional(),
  description: description.optional(),
  enabled: z.boolean().optional(),
}).strict();

export const updateWebhookRequest = z.object({
  url: url.optional(),
  events: events.optional(),
  repositories: glob('repository').optional(),
  tags: glob('tag').optional(),
  description: description.nullable().optional(),
  enabled: z.boolean().optional(),
}).strict().refine((change) => Object.keys(change).length > 0, {
  message: 'send at least one of url, events, repositories, tags, description, enabled',
});

const deliveryId = z.string().regex(/^\d{1,15}$/, 'send last as the id of a delivery (the "next" of the previous page)').transform(Number);

/** A page of the delivery log, newest first: `last` is the id of the last delivery of the previous page. */
export const deliveriesQuery = z.object({
  n: pageQuery.shape.n,
  last: z.union([z.literal('').transform(() => undefined), deliveryId]).optional(),
});

export type CreateWebhookRequest = z.infer<typeof createWebhookRequest>;
export type UpdateWebhookRequest = z.infer<typeof updateWebhookRequest>;
