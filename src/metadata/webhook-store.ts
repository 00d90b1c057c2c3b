import type { EventType, RegistryEvent } from '../events/registry-event.js';

/**
 * What webhooks keep: each project's subscriptions, and a delivery log per subscription (one delivery per event and
 * subscription, with every attempt to send it). Subscription writes move the metadata store's change version, so
 * the subscription caches on every node drop with them; delivery writes are single statements that move nothing,
 * since a delivery attempt changes nothing another reader caches.
 */
export interface WebhookStore {
  /** The subscriptions of a project, oldest first. */
  subscriptions(project: string): Promise<Webhook[]>;
  subscription(project: string, id: number): Promise<Webhook | undefined>;
  /** Undefined when the project does not exist (it was deleted meanwhile). */
  createSubscription(subscription: NewWebhook): Promise<Webhook | undefined>;
  updateSubscription(project: string, id: number, change: WebhookChange, now: number): Promise<Webhook | undefined>;
  /** Deletes a subscription with its delivery log; false when the project has no such subscription. */
  deleteSubscription(project: string, id: number): Promise<boolean>;

  /**
   * The delivery of `event` to a subscription, created queued with a copy of the event (so that it can be sent, and
   * replayed, after the outbox has trimmed the event). One per subscription and event: an event the outbox hands over
   * again finds its delivery, `created: false`. Undefined when the subscription is gone.
   */
  queueDelivery(subscriptionId: number, event: RegistryEvent, now: number): Promise<{ delivery: WebhookDelivery; created: boolean } | undefined>;
  /** A delivery with its event and the subscription it goes to (secret included, for signing). */
  deliveryToSend(id: number): Promise<DeliveryToSend | undefined>;
  /** A delivery of one subscription, with its attempts. */
  delivery(subscriptionId: number, id: number): Promise<WebhookDelivery | undefined>;
  /** A subscription's deliveries, newest first, each with its attempts: `limit` of them, those older than `before`. */
  deliveries(subscriptionId: number, limit: number, before?: number): Promise<WebhookDelivery[]>;
  /** Records one attempt and the delivery's new status; answers the attempt's number (1 for the first ever). */
  recordAttempt(deliveryId: number, attempt: AttemptOutcome): Promise<number>;
  /** Sets a delivery's status when it is one of `from`; false when it was not (or the delivery is gone). */
  setDeliveryStatus(deliveryId: number, status: DeliveryStatus, from: readonly DeliveryStatus[], now: number, error?: string): Promise<boolean>;
  /** Deletes up to `limit` finished deliveries last changed before `before`; answers how many. */
  trimDeliveries(before: number, limit: number): Promise<number>;
}

export interface Webhook {
  readonly id: number;
  readonly project: string;
  readonly url: string;
  /**
   * The Standard Webhooks signing key, `whsec_<base64>`. Kept as is, not hashed: Berth must compute an HMAC with it
   * for every delivery, so it has to be readable, as the receiver's copy is. Never put in a list or view.
   */
  readonly secret: string;
  readonly eventTypes: readonly EventType[];
  /** A glob over the repository's name below the project; `**` for all. */
  readonly repositoryPattern: string;
  /** A glob over tags; `**` for all (and for events that name no tag). */
  readonly tagPattern: string;
  readonly description: string | undefined;
  readonly enabled: boolean;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type NewWebhook = Omit<Webhook, 'id' | 'updatedAt'>;

export interface WebhookChange {
  readonly url?: string;
  readonly secret?: string;
  readonly eventTypes?: readonly EventType[];
  readonly repositoryPattern?: string;
  readonly tagPattern?: string;
  readonly description?: string | null;
  readonly enabled?: boolean;
}

/** queued: waiting for its first attempt (or a replay); retrying: an attempt failed and another will come. */
export type DeliveryStatus = 'queued' | 'retrying' | 'delivered' | 'failed';
export type AttemptStatus = 'delivered' | 'retrying' | 'failed';

export interface WebhookDelivery {
  readonly id: number;
  readonly subscriptionId: number;
  readonly eventId: number;
  readonly eventType: EventType;
  readonly repository: string;
  readonly digest: string;
  readonly tag: string | undefined;
  readonly status: DeliveryStatus;
  readonly error: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Oldest first. */
  readonly attempts: readonly DeliveryAttempt[];
}

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly status: AttemptStatus;
  /** The receiver's HTTP status; undefined when none came (refused, unreachable, timed out). */
  readonly responseCode: number | undefined;
  readonly durationMs: number;
  readonly error: string | undefined;
  readonly at: number;
}

export type AttemptOutcome = Omit<DeliveryAttempt, 'attempt'>;

export interface DeliveryToSend {
  readonly id: number;
  readonly status: DeliveryStatus;
  readonly event: RegistryEvent;
  readonly subscription: Webhook;
}
