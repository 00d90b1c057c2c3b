import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { moveContentVersionOnWrites, quietTables } from './content-version.js';
import { schemaDialect } from './dialect.js';

/**
 * The vulnerability scanner's data. An image is read once; after that, new advisories are matched against what is
 * stored here, so a rescan is a query, not a re-read of layers:
 * - `scan_reports`: per manifest digest, the scan's state (queued, scanning, done, failed with the reason), the
 *   distro, and the findings counted by severity, so lists of the worst images read no findings.
 * - `scan_packages`: the image's inventory, one row per installed package, indexed by ecosystem and the name
 *   advisories use (`match_name`: an OS package's source, else its name), which answers "which images hold this
 *   package" when an advisory changes.
 * - `scan_findings`: package × advisory matches, with the fixed version and the severity, indexed by advisory so a
 *   changed advisory's findings are replaced without touching the others.
 * - `advisories` and `advisory_packages`: the OSV records loaded from the feed (only the fields the matcher reads) and
 *   the (ecosystem, package) pairs each names, which is how a scan finds the advisories of its packages.
 * - `advisory_feeds`: per feed source (an OSV ecosystem folder), where it was loaded from and the newest
 *   `modified` seen, so the next refresh reads only what changed.
 * - `vulnerability_policies`: per project (by name, as immutable-tag rules: a project made again under the name
 *   keeps its protection), the severity at or above which pulls are refused, whether unscanned images are refused,
 *   and whether a rescan's new critical finding quarantines the image.
 * - `vulnerability_allowlist`: advisories a project (or, with project '', the whole registry) accepts, until an
 *   optional expiry, with the reason and who decided.
 * - SQLite only: `content_version`, a counter every write to a table read caches depend on moves (by triggers), so
 *   that the job queue, the outbox and the scanner's bookkeeping no longer empty the caches (content-version.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { bytewise, serial } = schemaDialect(db);
  const id = (c: any) => (serial === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.schema.createTable('scan_reports')
    .addColumn('digest', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('scanner', 'text', (c) => c.notNull())
    .addColumn('distro', 'text')
    .addColumn('package_count', 'integer', (c) => c.notNull())
    .addColumn('critical', 'integer', (c) => c.notNull())
    .addColumn('high', 'integer', (c) => c.notNull())
    .addColumn('medium', 'integer', (c) => c.notNull())
    .addColumn('low', 'integer', (c) => c.notNull())
    .addColumn('other', 'integer', (c) => c.notNull())
    .addColumn('fixable', 'integer', (c) => c.notNull())
    .addColumn('queued_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('matched_at', 'bigint')
    .execute();

  await db.schema.createTable('scan_packages')
    .addColumn('digest', 'text', (c) => bytewise(c).notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => bytewise(c).notNull())
    .addColumn('match_name', 'text', (c) => bytewise(c).notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('source_name', 'text')
    .addColumn('source_version', 'text')
    .addColumn('arch', 'text')
    .addColumn('purl', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scan_packages_pk', ['digest', 'seq'])
    .execute();
  await db.schema.createIndex('scan_packages_match').on('scan_packages').columns(['ecosystem', 'match_name', 'digest']).execute();

  await db.schema.createTable('scan_findings')
    .addColumn('digest', 'text', (c) => bytewise(c).notNull())
    .addColumn('advisory_id', 'text', (c) => bytewise(c).notNull())
    .addColumn('package_seq', 'integer', (c) => c.notNull())
    .addColumn('fixed_version', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('score', 'real')
    .addPrimaryKeyConstraint('scan_findings_pk', ['digest', 'advisory_id', 'package_seq'])
    .execute();
  await db.schema.createIndex('scan_findings_advisory').on('scan_findings').columns(['advisory_id', 'digest']).execute();

  await db.schema.createTable('advisories')
    .addColumn('id', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('modified', 'bigint', (c) => c.notNull())
    .addColumn('summary', 'text')
    /** A JSON array: the record's aliases and upstream ids (the CVEs a distro advisory covers). */
    .addColumn('aliases', 'text', (c) => c.notNull())
    /** The record as the matcher reads it (JSON, long texts cut). */
    .addColumn('record', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('advisory_packages')
    .addColumn('ecosystem', 'text', (c) => bytewise(c).notNull())
    .addColumn('name', 'text', (c) => bytewise(c).notNull())
    .addColumn('advisory_id', 'text', (c) => bytewise(c).notNull())
    .addPrimaryKeyConstraint('advisory_packages_pk', ['ecosystem', 'name', 'advisory_id'])
    .execute();
  await db.schema.createIndex('advisory_packages_advisory').on('advisory_packages').column('advisory_id').execute();

  await db.schema.createTable('vulnerability_policies')
    .addColumn('project', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('block_severity', 'text')
    .addColumn('block_unscanned', 'integer', (c) => c.notNull())
    .addColumn('auto_quarantine', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('vulnerability_allowlist')
    .addColumn('id', serial, id)
    .addColumn('project', 'text', (c) => bytewise(c).notNull())
    .addColumn('advisory_id', 'text', (c) => bytewise(c).notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('vulnerability_allowlist_entry').on('vulnerability_allowlist').unique().columns(['project', 'advisory_id']).execute();

  await db.schema.createTable('advisory_feeds')
    .addColumn('source', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('newest_modified', 'bigint')
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('refreshed_at', 'bigint', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();

  if (!schemaDialect(db).postgres) {
    await db.schema.createTable('content_version').addColumn('value', 'integer', (c) => c.notNull()).execute();
    await sql`INSERT INTO content_version (value) VALUES (0)`.execute(db);
    const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`.execute(db);
    for (const { name } of tables.rows) if (!quietTables.includes(name)) await moveContentVersionOnWrites(db, name);
  }
}
