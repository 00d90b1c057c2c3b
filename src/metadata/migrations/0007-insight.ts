import type { Kysely } from 'kysely';
import { schemaDialect } from './dialect.js';

/**
 * What the query API, "latest" and the usage figures read, kept beside the manifests so that no query parses a
 * manifest or reads a config blob:
 * - `artifacts`: per manifest digest, written once in the push's transaction, what its image config says (platform,
 *   created, author, labels) and its size with config and layers; an index's is rolled up from its children.
 * - `artifact_platforms`: the platforms an artifact runs on (one row for an image, one per child for an index).
 * - `artifact_properties`: config labels and manifest annotations as key/value rows, so label filters are key lookups.
 * - `pull_stats` and `tag_pull_stats`: pulls per digest and per tag with the last pull's time, written in batches
 *   from the outbox's `artifact.pulled` events (features/usage), never on the pull path itself, with
 *   `pull_stats_position`, the last event counted.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { bytewise } = schemaDialect(db);

  await db.schema.createTable('artifacts')
    .addColumn('digest', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('config_digest', 'text', (c) => bytewise(c))
    .addColumn('os', 'text')
    .addColumn('architecture', 'text')
    .addColumn('variant', 'text')
    .addColumn('created', 'bigint')
    .addColumn('author', 'text')
    /** The config's labels as a JSON object, for rows that show them. */
    .addColumn('labels', 'text')
    /** Bytes of the manifest, its config and layers; for an index, its own bytes and its children's totals. */
    .addColumn('total_size', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('artifact_platforms')
    .addColumn('digest', 'text', (c) => bytewise(c).notNull())
    .addColumn('child_digest', 'text', (c) => bytewise(c).notNull())
    .addColumn('os', 'text', (c) => bytewise(c).notNull())
    .addColumn('architecture', 'text', (c) => bytewise(c).notNull())
    .addColumn('variant', 'text', (c) => bytewise(c).notNull())
    .addPrimaryKeyConstraint('artifact_platforms_pk', ['digest', 'child_digest'])
    .execute();

  await db.schema.createTable('artifact_properties')
    .addColumn('digest', 'text', (c) => bytewise(c).notNull())
    /** 'label' (image config) or 'annotation' (manifest). */
    .addColumn('source', 'text', (c) => bytewise(c).notNull())
    .addColumn('key', 'text', (c) => bytewise(c).notNull())
    .addColumn('value', 'text', (c) => bytewise(c).notNull())
    .addPrimaryKeyConstraint('artifact_properties_pk', ['digest', 'source', 'key'])
    .execute();
  // No index beyond the keys: filters ask "does this tag's digest carry the label?" (the key's prefix), and every
  // index more is one more page each push's commit writes.

  await db.schema.createTable('pull_stats')
    .addColumn('repository', 'text', (c) => bytewise(c).notNull())
    .addColumn('digest', 'text', (c) => bytewise(c).notNull())
    .addColumn('pulls', 'bigint', (c) => c.notNull())
    .addColumn('last_pulled_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pull_stats_pk', ['repository', 'digest'])
    .execute();

  await db.schema.createTable('tag_pull_stats')
    .addColumn('repository', 'text', (c) => bytewise(c).notNull())
    .addColumn('tag', 'text', (c) => bytewise(c).notNull())
    .addColumn('pulls', 'bigint', (c) => c.notNull())
    .addColumn('last_pulled_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tag_pull_stats_pk', ['repository', 'tag'])
    .execute();

  // The last outbox event counted into the pull figures, written with them: an event delivered again after a crash
  // is not counted twice.
  await db.schema.createTable('pull_stats_position')
    .addColumn('name', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .execute();

  // Catalog-wide queries sorted by push time walk this index instead of sorting every tag.
  await db.schema.createIndex('tags_updated').on('tags').columns(['updated_at', 'repository', 'name']).execute();
}
