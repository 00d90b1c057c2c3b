import type { Kysely } from 'kysely';
import { schemaDialect } from './dialect.js';

/** The first schema: repositories, blobs and their links, manifests, tags, upload sessions and the event outbox. */
export async function up(db: Kysely<any>): Promise<void> {
  const { binary, serial, bytewise } = schemaDialect(db);
  await db.schema.createTable('repositories')
    .addColumn('name', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('blobs')
    .addColumn('digest', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('repository_blobs')
    .addColumn('repository', 'text', (c) => bytewise(c).notNull().references('repositories.name'))
    .addColumn('digest', 'text', (c) => bytewise(c).notNull().references('blobs.digest'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_blobs_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('repository_blobs_digest').on('repository_blobs').column('digest').execute();

  await db.schema.createTable('manifests')
    .addColumn('digest', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('media_type', 'text', (c) => bytewise(c).notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content', binary, (c) => c.notNull())
    .addColumn('artifact_type', 'text', (c) => bytewise(c))
    .addColumn('subject_digest', 'text', (c) => bytewise(c))
    .addColumn('annotations', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('manifests_subject').on('manifests').column('subject_digest').execute();

  await db.schema.createTable('manifest_references')
    .addColumn('manifest_digest', 'text', (c) => bytewise(c).notNull().references('manifests.digest'))
    .addColumn('child_digest', 'text', (c) => bytewise(c).notNull())
    .addColumn('kind', 'text', (c) => bytewise(c).notNull())
    .addPrimaryKeyConstraint('manifest_references_pk', ['manifest_digest', 'child_digest', 'kind'])
    .execute();
  await db.schema.createIndex('manifest_references_child').on('manifest_references').column('child_digest').execute();

  await db.schema.createTable('repository_manifests')
    .addColumn('repository', 'text', (c) => bytewise(c).notNull().references('repositories.name'))
    .addColumn('digest', 'text', (c) => bytewise(c).notNull().references('manifests.digest'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_manifests_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('repository_manifests_digest').on('repository_manifests').column('digest').execute();

  await db.schema.createTable('tags')
    .addColumn('repository', 'text', (c) => bytewise(c).notNull().references('repositories.name'))
    .addColumn('name', 'text', (c) => bytewise(c).notNull())
    .addColumn('digest', 'text', (c) => bytewise(c).notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['repository', 'name'])
    .execute();
  await db.schema.createIndex('tags_digest').on('tags').columns(['repository', 'digest']).execute();

  await db.schema.createTable('upload_sessions')
    .addColumn('id', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('repository', 'text', (c) => bytewise(c).notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('upload_sessions_updated').on('upload_sessions').column('updated_at').execute();

  await db.schema.createTable('events')
    .addColumn('id', serial, (c) => (serial === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('type', 'text', (c) => bytewise(c).notNull())
    .addColumn('repository', 'text', (c) => bytewise(c).notNull())
    .addColumn('digest', 'text', (c) => bytewise(c).notNull())
    .addColumn('tag', 'text', (c) => bytewise(c))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
