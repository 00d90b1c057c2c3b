import { sql, type Kysely } from 'kysely';
import { schemaDialect } from './dialect.js';

/**
 * The predicate of the partial unique index on unique_key, written once: an upsert's conflict target must repeat it
 * word for word for SQLite to match the index.
 */
export const openJob = sql<boolean>`status in ('queued', 'running')`;

/**
 * The durable job queue: background work (sweeps now; scans, replication, garbage collection later) that any node
 * may take. A job is claimed with a lease; a node that dies mid-job lets its lease run out, and another node takes
 * the job again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { serial, bytewise } = schemaDialect(db);
  await db.schema.createTable('jobs')
    .addColumn('id', serial, (c) => (serial === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('kind', 'text', (c) => bytewise(c).notNull())
    /** At most one unfinished job per key (for example one pending sweep), however many nodes enqueue it. */
    .addColumn('unique_key', 'text', (c) => bytewise(c))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => bytewise(c).notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_after', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('progress', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_ready').on('jobs').columns(['status', 'run_after']).execute();
  await db.schema.createIndex('jobs_unique_open').on('jobs').column('unique_key').unique()
    .where(openJob).execute();
}
