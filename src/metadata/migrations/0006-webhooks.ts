import type { Kysely } from 'kysely';
import { schemaDialect } from './dialect.js';

/**
 * Webhooks:
 * - `webhook_subscriptions` per project (deleted with it, so that a project created again under the name does not
 *   inherit the old one's receivers), with the signing secret in clear: every delivery is signed with it.
 * - `webhook_deliveries`: one per subscription and event, unique, so an event the outbox hands over again (it
 *   delivers at least once) finds its delivery instead of sending twice. It keeps a copy of the event, so a delivery
 *   can be sent and replayed after the outbox has trimmed it.
 * - `webhook_attempts`: every attempt of a delivery, for the delivery log.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { serial } = schemaDialect(db);
  const id = (c: any) => (serial === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.schema.createTable('webhook_subscriptions')
    .addColumn('id', serial, id)
    .addColumn('project_id', 'bigint', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    /** A JSON array of event types. */
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('repository_pattern', 'text', (c) => c.notNull())
    .addColumn('tag_pattern', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_subscriptions_project').on('webhook_subscriptions').column('project_id').execute();

  await db.schema.createTable('webhook_deliveries')
    .addColumn('id', serial, id)
    .addColumn('subscription_id', 'bigint', (c) => c.notNull().references('webhook_subscriptions.id').onDelete('cascade'))
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    /** The event as the outbox held it (JSON), with its id. */
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One delivery per subscription and event; also the index of a subscription's log, newest first.
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').unique().columns(['subscription_id', 'event_id']).execute();
  await db.schema.createIndex('webhook_deliveries_log').on('webhook_deliveries').columns(['subscription_id', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_updated').on('webhook_deliveries').column('updated_at').execute();

  await db.schema.createTable('webhook_attempts')
    .addColumn('delivery_id', 'bigint', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('response_code', 'integer')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();
}
