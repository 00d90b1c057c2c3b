import type { Logger } from 'pino';
import type { AccessPolicy } from '../../auth/access-policy.js';
import type { AdminAudit } from '../../auth/admin/admin-actor.js';
import type { JobDefinition } from '../../jobs/job-definition.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { WebhookStore } from '../../metadata/webhook-store.js';
import type { Feature } from '../feature.js';
import type { Resolver } from './target-guard.js';
import { webhookOutboxConsumer, type Enqueue } from './webhook-consumer.js';
import { deliveryJob, newDeliveryTally, type DeliveryTally } from './webhook-delivery.js';
import { WebhookService } from './webhook-service.js';

export interface WebhookOptions {
  /** The `webhooks` section of the configuration. */
  readonly allowPrivateTargets: boolean;
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
  readonly retryBaseSeconds: number;
  readonly keepDeliveriesDays: number;
  /** The registry's external URL: the CloudEvents `source` is built from it when set. */
  readonly externalUrl: string | undefined;
  /** Queues a job on the durable queue (the job runner's `enqueue`). */
  readonly enqueue: Enqueue;
  readonly log: Logger;
  readonly resolver?: Resolver;
}

const dayMs = 24 * 60 * 60 * 1000;
const trimSlice = 1000;

/**
 * Webhooks: an outbox consumer that turns registry events into deliveries, the job that sends them (signed
 * CloudEvents, retried with backoff), an hourly trim of old delivery logs, and the service the API and CLI use.
 */
export function webhooks(metadata: MetadataStore, policy: AccessPolicy, audit: AdminAudit, options: WebhookOptions):
  Feature & { readonly service: WebhookService; readonly deliveries: DeliveryTally } {
  const store = metadata.webhooks();
  const { allowPrivateTargets, maxAttempts, enqueue, log, resolver } = options;
  const tally = newDeliveryTally();
  return {
    name: 'webhooks',
    /** Delivery attempts by outcome, for metrics. */
    deliveries: tally,
    consumers: [webhookOutboxConsumer(metadata, enqueue, { maxAttempts, log })],
    jobs: [
      deliveryJob(store, {
        allowPrivateTargets, timeoutMs: options.timeoutSeconds * 1000, retryBaseMs: options.retryBaseSeconds * 1000,
        externalUrl: options.externalUrl, log, tally, ...(resolver && { resolver }),
      }),
      ...(options.keepDeliveriesDays > 0 ? [trimJob(store, options.keepDeliveriesDays, log)] : []),
    ],
    service: new WebhookService(metadata, policy, audit, { allowPrivateTargets, maxAttempts, enqueue, ...(resolver && { resolver }) }),
  };
}

/** Deletes delivered and failed deliveries untouched for `keepDays`, once an hour for the cluster. */
function trimJob(store: WebhookStore, keepDays: number, log: Logger): JobDefinition {
  return {
    kind: 'webhooks.trim',
    everyMs: 60 * 60 * 1000,
    run: async (_job, context) => {
      let removed = 0;
      for (;;) {
        const slice = await store.trimDeliveries(Date.now() - keepDays * dayMs, trimSlice);
        removed += slice;
        if (slice < trimSlice || context.signal.aborted) break;
        await context.progress({ done: removed, note: 'webhook deliveries trimmed' });
      }
      if (removed > 0) log.info({ removed, keepDays }, 'trimmed old webhook deliveries');
    },
  };
}
