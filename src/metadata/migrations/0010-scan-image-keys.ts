import { sql, type Kysely } from 'kysely';
import { schemaDialect } from './dialect.js';

/**
 * Scanned images get a compact key: `scan_reports.image_id`, numbered in the order images are first scanned, and
 * the inventory (`scan_packages`) and findings (`scan_findings`) name the image by it instead of by its 71-character
 * digest. Why: a new advisory for a package 100,000 images hold adds a finding to each of them, and every structure
 * ordered by image is then rewritten end to end. Keyed by digest, that was 375 MB of pages for the bench's 100,000
 * images (the findings' digest key alone is two thirds of each entry); keyed by a number it is a fraction, and the
 * inventory, the largest table by far, loses a digest per package. Rematches walk images in ranges of this key, so
 * each transaction writes its own run of pages.
 * - `scan_packages` is indexed by what matching asks (ecosystem, match name, version, kind, source version) and then
 *   the image: the distinct versions a changed advisory names, and the images holding each, are read from the index
 *   alone. On SQLite it is a WITHOUT ROWID table clustered by (image, seq), as it is written and read.
 * - `scan_findings` is indexed by image (its key) and by advisory then image (what a feed change reads).
 * The tables are made anew and filled from the old ones, which are then dropped: on both databases the same steps.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { bytewise, serial, postgres } = schemaDialect(db);
  const id = (c: any) => (serial === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.schema.createTable('scan_reports_keyed')
    .addColumn('image_id', serial, id)
    .addColumn('digest', 'text', (c) => bytewise(c).notNull().unique())
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
  const reportColumns = ['digest', 'status', 'reason', 'scanner', 'distro', 'package_count', 'critical', 'high', 'medium', 'low', 'other', 'fixable',
    'queued_at', 'started_at', 'finished_at', 'matched_at'];
  await sql`INSERT INTO scan_reports_keyed (${sql.join(reportColumns.map((column) => sql.ref(column)))})
    SELECT ${sql.join(reportColumns.map((column) => sql.ref(column)))} FROM scan_reports ORDER BY digest`.execute(db);

  let packages = db.schema.createTable('scan_packages_keyed')
    .addColumn('image_id', 'bigint', (c) => c.notNull())
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
    .addPrimaryKeyConstraint('scan_packages_image', ['image_id', 'seq']);
  if (!postgres) packages = packages.modifyEnd(sql`WITHOUT ROWID`);
  await packages.execute();
  const packageColumns = ['seq', 'kind', 'ecosystem', 'match_name', 'name', 'version', 'source_name', 'source_version', 'arch', 'purl', 'path'];
  await sql`INSERT INTO scan_packages_keyed (image_id, ${sql.join(packageColumns.map((column) => sql.ref(column)))})
    SELECT r.image_id, ${sql.join(packageColumns.map((column) => sql.ref(`p.${column}`)))}
    FROM scan_packages p JOIN scan_reports_keyed r ON r.digest = p.digest ORDER BY r.image_id, p.seq`.execute(db);

  await db.schema.createTable('scan_findings_keyed')
    .addColumn('image_id', 'bigint', (c) => c.notNull())
    .addColumn('advisory_id', 'text', (c) => bytewise(c).notNull())
    .addColumn('package_seq', 'integer', (c) => c.notNull())
    .addColumn('fixed_version', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('score', 'real')
    .addColumn('reported_by', 'text')
    .addColumn('package_name', 'text')
    .addColumn('package_version', 'text')
    .addColumn('summary', 'text')
    .addColumn('links', 'text')
    .addPrimaryKeyConstraint('scan_findings_image', ['image_id', 'advisory_id', 'package_seq'])
    .execute();
  const findingColumns = ['advisory_id', 'package_seq', 'fixed_version', 'severity', 'score', 'reported_by', 'package_name', 'package_version', 'summary', 'links'];
  await sql`INSERT INTO scan_findings_keyed (image_id, ${sql.join(findingColumns.map((column) => sql.ref(column)))})
    SELECT r.image_id, ${sql.join(findingColumns.map((column) => sql.ref(`f.${column}`)))}
    FROM scan_findings f JOIN scan_reports_keyed r ON r.digest = f.digest ORDER BY r.image_id, f.advisory_id, f.package_seq`.execute(db);

  for (const table of ['scan_findings', 'scan_packages', 'scan_reports']) {
    await db.schema.dropTable(table).execute();
    await db.schema.alterTable(`${table}_keyed`).renameTo(table).execute();
  }
  // Made after the rows are in: an index built from sorted rows costs a fraction of one kept up through the copy.
  await db.schema.createIndex('scan_packages_variant').on('scan_packages')
    .columns(['ecosystem', 'match_name', 'version', 'kind', 'source_version', 'image_id', 'seq']).execute();
  await db.schema.createIndex('scan_findings_by_advisory').on('scan_findings').columns(['advisory_id', 'image_id']).execute();
}
