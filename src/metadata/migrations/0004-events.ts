import type { Kysely } from 'kysely';
import { schemaDialect } from './dialect.js';

/**
 * The event spine and the first registry policies:
 * - `events` becomes a readable outbox: who caused each change (actor, kind, address) and what it carried (`data`,
 *   JSON). The rows written before had no reader and no actor; they are dropped rather than replayed to consumers
 *   that did not exist when they happened.
 * - `outbox_cursors`: how far each consumer (audit log, webhooks, later scanning and replication) has read, with a
 *   lease so that one node at a time feeds a consumer.
 * - `immutable_tag_rules` per project, and `quarantines` per repository and digest (a quarantined index's children
 *   carry a row whose `via` names the index, so releasing the index releases them).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { serial, bytewise } = schemaDialect(db);
  const id = (c: any) => (serial === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.deleteFrom('events').execute();
  await db.schema.alterTable('events').addColumn('actor', 'text').execute();
  await db.schema.alterTable('events').addColumn('actor_kind', 'text').execute();
  await db.schema.alterTable('events').addColumn('address', 'text').execute();
  await db.schema.alterTable('events').addColumn('data', 'text').execute();

  await db.schema.createTable('outbox_cursors')
    .addColumn('consumer', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('immutable_tag_rules')
    .addColumn('id', serial, id)
    .addColumn('project', 'text', (c) => bytewise(c).notNull())
    .addColumn('repository_pattern', 'text', (c) => c.notNull())
    .addColumn('tag_pattern', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('immutable_tag_rules_project').on('immutable_tag_rules').column('project').execute();

  await db.schema.createTable('quarantines')
    .addColumn('repository', 'text', (c) => bytewise(c).notNull())
    .addColumn('digest', 'text', (c) => bytewise(c).notNull())
    /** '' for a digest quarantined itself; the index's digest for a child quarantined with its index. */
    .addColumn('via', 'text', (c) => bytewise(c).notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('quarantines_pk', ['repository', 'digest', 'via'])
    .execute();

  // Recall asks the audit log who pulled a digest.
  await db.schema.createIndex('audit_events_digest').on('audit_events').columns(['digest', 'action']).execute();
}
