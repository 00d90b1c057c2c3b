import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { EventType, RegistryEvent } from '../events/registry-event.js';
import type { Database } from './database-schema.js';
import type {
  AttemptOutcome, AttemptStatus, DeliveryAttempt, DeliveryStatus, DeliveryToSend, NewWebhook, Webhook, WebhookChange,
  WebhookDelivery, WebhookStore,
} from './webhook-store.js';

type Write = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;
type SubscriptionRow = Selectable<Database['webhook_subscriptions']> & { project: string };
type DeliveryRow = Selectable<Database['webhook_deliveries']>;

const finished: readonly DeliveryStatus[] = ['delivered', 'failed'];

/**
 * The webhook store over Kysely, for every dialect. Subscription writes go through the metadata store's counted
 * transactions (subscription caches drop with them). Delivery writes are single statements outside any Kysely
 * transaction: on SQLite, a statement run while a Kysely transaction is open on the writer would join it, which
 * single statements never do.
 */
export class KyselyWebhookStore implements WebhookStore {
  readonly #db: Kysely<Database>;
  readonly #write: Write;

  constructor(db: Kysely<Database>, write: Write) {
    this.#db = db;
    this.#write = write;
  }

  async subscriptions(project: string): Promise<Webhook[]> {
    const rows = await this.#subscriptionQuery(this.#db).where('p.name', '=', project).orderBy('w.id').execute();
    return rows.map(toWebhook);
  }

  async subscription(project: string, id: number): Promise<Webhook | undefined> {
    const row = await this.#subscriptionQuery(this.#db).where('p.name', '=', project).where('w.id', '=', id).executeTakeFirst();
    return row && toWebhook(row);
  }

  async createSubscription(subscription: NewWebhook): Promise<Webhook | undefined> {
    return this.#write(async (trx) => {
      const project = await trx.selectFrom('projects').select('id').where('name', '=', subscription.project).executeTakeFirst();
      if (!project) return undefined;
      const { id } = await trx.insertInto('webhook_subscriptions').values({
        project_id: project.id, url: subscription.url, secret: subscription.secret, event_types: JSON.stringify(subscription.eventTypes),
        repository_pattern: subscription.repositoryPattern, tag_pattern: subscription.tagPattern,
        description: subscription.description ?? null, enabled: subscription.enabled ? 1 : 0, created_by: subscription.createdBy,
        created_at: subscription.createdAt, updated_at: subscription.createdAt,
      }).returning('id').executeTakeFirstOrThrow();
      const row = await this.#subscriptionQuery(trx).where('w.id', '=', Number(id)).executeTakeFirstOrThrow();
      return toWebhook(row);
    });
  }

  async updateSubscription(project: string, id: number, change: WebhookChange, now: number): Promise<Webhook | undefined> {
    return this.#write(async (trx) => {
      const result = await trx.updateTable('webhook_subscriptions').set({
        updated_at: now,
        ...(change.url !== undefined && { url: change.url }),
        ...(change.secret !== undefined && { secret: change.secret }),
        ...(change.eventTypes !== undefined && { event_types: JSON.stringify(change.eventTypes) }),
        ...(change.repositoryPattern !== undefined && { repository_pattern: change.repositoryPattern }),
        ...(change.tagPattern !== undefined && { tag_pattern: change.tagPattern }),
        ...(change.description !== undefined && { description: change.description }),
        ...(change.enabled !== undefined && { enabled: change.enabled ? 1 : 0 }),
      }).where('id', '=', id).where('project_id', '=', (eb) => eb.selectFrom('projects').select('id').where('name', '=', project))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      const row = await this.#subscriptionQuery(trx).where('w.id', '=', id).executeTakeFirstOrThrow();
      return toWebhook(row);
    });
  }

  async deleteSubscription(project: string, id: number): Promise<boolean> {
    return this.#write(async (trx) => {
      // Deliveries and their attempts go with it (foreign keys, on delete cascade).
      const result = await trx.deleteFrom('webhook_subscriptions')
        .where('id', '=', id).where('project_id', '=', (eb) => eb.selectFrom('projects').select('id').where('name', '=', project))
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async queueDelivery(subscriptionId: number, event: RegistryEvent, now: number): Promise<{ delivery: WebhookDelivery; created: boolean } | undefined> {
    let inserted: DeliveryRow | undefined;
    try {
      inserted = await this.#db.insertInto('webhook_deliveries').values({
        subscription_id: subscriptionId, event_id: event.id, event_type: event.type, event: JSON.stringify(event),
        status: 'queued', attempts: 0, error: null, created_at: now, updated_at: now,
      }).onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing()).returningAll().executeTakeFirst();
    } catch (error) {
      // The subscription was deleted since it was read: its foreign key refuses the row, and there is nothing to send.
      if (!(await this.#db.selectFrom('webhook_subscriptions').select('id').where('id', '=', subscriptionId).executeTakeFirst())) return undefined;
      throw error;
    }
    if (inserted) return { delivery: toDelivery(inserted, []), created: true };
    const existing = await this.delivery(subscriptionId, 0, event.id);
    return existing && { delivery: existing, created: false };
  }

  async deliveryToSend(id: number): Promise<DeliveryToSend | undefined> {
    const row = await this.#db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const subscription = await this.#subscriptionQuery(this.#db).where('w.id', '=', Number(row.subscription_id)).executeTakeFirst();
    if (!subscription) return undefined;
    return { id: Number(row.id), status: row.status as DeliveryStatus, event: JSON.parse(row.event) as RegistryEvent, subscription: toWebhook(subscription) };
  }

  /** By id, or (with `eventId`) by the event it carries. */
  async delivery(subscriptionId: number, id: number, eventId?: number): Promise<WebhookDelivery | undefined> {
    let query = this.#db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', subscriptionId);
    query = eventId === undefined ? query.where('id', '=', id) : query.where('event_id', '=', eventId);
    const row = await query.executeTakeFirst();
    if (!row) return undefined;
    return toDelivery(row, (await this.#attempts([Number(row.id)])).get(Number(row.id)) ?? []);
  }

  async deliveries(subscriptionId: number, limit: number, before?: number): Promise<WebhookDelivery[]> {
    let query = this.#db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', subscriptionId);
    if (before !== undefined) query = query.where('id', '<', before);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    const attempts = await this.#attempts(rows.map((row) => Number(row.id)));
    return rows.map((row) => toDelivery(row, attempts.get(Number(row.id)) ?? []));
  }

  async recordAttempt(deliveryId: number, attempt: AttemptOutcome): Promise<number> {
    // Only one job sends a delivery at a time (the queue's unique key), so the count read back is this attempt's.
    const row = await this.#db.updateTable('webhook_deliveries')
      .set({ attempts: sql<number>`attempts + 1`, status: attempt.status, error: attempt.error ?? null, updated_at: attempt.at })
      .where('id', '=', deliveryId).returning('attempts').executeTakeFirst();
    if (!row) return 0;
    const number = Number(row.attempts);
    await this.#db.insertInto('webhook_attempts').values({
      delivery_id: deliveryId, attempt: number, status: attempt.status, response_code: attempt.responseCode ?? null,
      duration_ms: Math.round(attempt.durationMs), error: attempt.error ?? null, at: attempt.at,
    }).onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing()).execute();
    return number;
  }

  async setDeliveryStatus(deliveryId: number, status: DeliveryStatus, from: readonly DeliveryStatus[], now: number, error?: string): Promise<boolean> {
    const result = await this.#db.updateTable('webhook_deliveries').set({ status, error: error ?? null, updated_at: now })
      .where('id', '=', deliveryId).where('status', 'in', [...from]).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async trimDeliveries(before: number, limit: number): Promise<number> {
    const result = await this.#db.deleteFrom('webhook_deliveries').where('id', 'in', (eb) => eb.selectFrom('webhook_deliveries')
      .select('id').where('updated_at', '<', before).where('status', 'in', [...finished]).limit(limit)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  #subscriptionQuery(db: Kysely<Database>) {
    return db.selectFrom('webhook_subscriptions as w').innerJoin('projects as p', 'p.id', 'w.project_id')
      .selectAll('w').select('p.name as project');
  }

  async #attempts(deliveryIds: readonly number[]): Promise<Map<number, DeliveryAttempt[]>> {
    const byDelivery = new Map<number, DeliveryAttempt[]>();
    if (deliveryIds.length === 0) return byDelivery;
    const rows = await this.#db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', [...deliveryIds])
      .orderBy('delivery_id').orderBy('attempt').execute();
    for (const row of rows) {
      const list = byDelivery.get(Number(row.delivery_id)) ?? [];
      list.push({
        attempt: Number(row.attempt), status: row.status as AttemptStatus, responseCode: row.response_code ?? undefined,
        durationMs: Number(row.duration_ms), error: row.error ?? undefined, at: Number(row.at),
      });
      byDelivery.set(Number(row.delivery_id), list);
    }
    return byDelivery;
  }
}

function toWebhook(row: SubscriptionRow): Webhook {
  return {
    id: Number(row.id), project: row.project, url: row.url, secret: row.secret, eventTypes: JSON.parse(row.event_types) as EventType[],
    repositoryPattern: row.repository_pattern, tagPattern: row.tag_pattern, description: row.description ?? undefined,
    enabled: Number(row.enabled) === 1, createdBy: row.created_by, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at),
  };
}

function toDelivery(row: DeliveryRow, attempts: DeliveryAttempt[]): WebhookDelivery {
  const event = JSON.parse(row.event) as RegistryEvent;
  return {
    id: Number(row.id), subscriptionId: Number(row.subscription_id), eventId: Number(row.event_id), eventType: row.event_type as EventType,
    repository: event.repository, digest: event.digest, tag: event.tag, status: row.status as DeliveryStatus, error: row.error ?? undefined,
    createdAt: Number(row.created_at), updatedAt: Number(row.updated_at), attempts,
  };
}
