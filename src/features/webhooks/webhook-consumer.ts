import type { Logger } from 'pino';
import { projectOf } from '../../auth/roles.js';
import type { OutboxConsumer } from '../../events/outbox-consumer.js';
import type { RegistryEvent } from '../../events/registry-event.js';
import type { MetadataStore, NewJob } from '../../metadata/metadata-store.js';
import { VersionedCache } from '../../metadata/versioned-cache.js';
import type { Webhook } from '../../metadata/webhook-store.js';
import { compileFilter, type WebhookFilter } from './webhook-filter.js';

/** The outbox consumer's name: its cursor's key. */
export const webhookConsumer = 'webhooks';
export const deliverJobKind = 'webhooks.deliver';

export type Enqueue = (job: Omit<NewJob, 'now'>) => Promise<number>;

export interface DeliveryJobPayload {
  readonly deliveryId: number;
}

interface CompiledSubscription {
  readonly subscription: Webhook;
  readonly wants: WebhookFilter;
}

/** The queue's key for sending one event to one subscription: an open job under it is found, not queued again. */
export function deliveryJobKey(subscriptionId: number, eventId: number): string {
  return `webhook:${subscriptionId}:${eventId}`;
}

/**
 * Turns outbox events into webhook deliveries: for each event, the enabled subscriptions of its project that want it
 * get a delivery row (queued, with a copy of the event) and a `webhooks.deliver` job. The outbox hands events over
 * at least once, so both are idempotent: the delivery is unique per subscription and event, and a job is queued only
 * for a delivery still queued, under a key that finds the open job rather than adding one. Sending happens in the
 * job, never here, so a slow receiver never holds the outbox up. A project's subscriptions are read once per change
 * version.
 */
export function webhookOutboxConsumer(metadata: MetadataStore, enqueue: Enqueue, options: { maxAttempts: number; log: Logger }): OutboxConsumer {
  const store = metadata.webhooks();
  const cache = new VersionedCache<readonly CompiledSubscription[]>(10_000, (list) => 1 + list.length, 'webhook_subscriptions');
  const subscriptionsOf = (project: string, version: number): readonly CompiledSubscription[] | Promise<readonly CompiledSubscription[]> =>
    cache.through(project, version, async () => (await store.subscriptions(project))
      .filter((subscription) => subscription.enabled)
      .map((subscription) => ({ subscription, wants: compileFilter(subscription) })));

  const deliver = async (subscription: Webhook, event: RegistryEvent): Promise<void> => {
    const queued = await store.queueDelivery(subscription.id, event, Date.now());
    // Gone since it was read, or already past queued: a job has taken it (or replay will queue one).
    if (queued?.delivery.status !== 'queued') return;
    await enqueue({
      kind: deliverJobKind, payload: { deliveryId: queued.delivery.id } satisfies DeliveryJobPayload,
      uniqueKey: deliveryJobKey(subscription.id, event.id), runAfter: Date.now(), maxAttempts: options.maxAttempts,
    });
  };

  return {
    name: webhookConsumer,
    // The batch is finished even when the node is stopping: each event costs a few single-row writes, and a batch
    // cut short would come again whole.
    async handle(events) {
      let queued = 0;
      // Each project's subscriptions once per batch: most events (pulls) go to projects with none.
      const version = metadata.changeVersion();
      const byProject = new Map<string, readonly CompiledSubscription[]>();
      for (const event of events) {
        const project = projectOf(event.repository);
        let subscriptions = byProject.get(project);
        if (subscriptions === undefined) {
          subscriptions = await subscriptionsOf(project, version);
          byProject.set(project, subscriptions);
        }
        for (const { subscription, wants } of subscriptions) {
          if (!wants(event)) continue;
          await deliver(subscription, event);
          queued++;
        }
      }
      if (queued > 0) options.log.debug({ deliveries: queued, from: events[0]!.id, to: events.at(-1)!.id }, 'queued webhook deliveries');
    },
  };
}
