import { sql, type Kysely } from 'kysely';
import { schemaDialect } from './dialect.js';

/**
 * Tables whose writes do not move the embedded store's content version: the job queue, the outbox and its cursors,
 * upload sessions, the audit log, webhook delivery logs, the pull counters' position, and the scanner's bookkeeping.
 * Nothing a read cache holds is read from them, and they are written all the time in the background (every job
 * claimed, every batch of pull events, every scan); had they moved the version, every cache would be emptied as
 * often. The vulnerability policy's verdicts, which do read scan results, are kept fresh by other means
 * (features/scanning/vulnerability-policy.ts).
 */
export const quietTables: readonly string[] = [
  'jobs', 'events', 'outbox_cursors', 'upload_sessions', 'audit_events', 'webhook_deliveries', 'webhook_attempts', 'pull_stats_position',
  'scan_reports', 'scan_packages', 'scan_findings', 'advisories', 'advisory_packages', 'advisory_feeds', 'content_version',
  'kysely_migration', 'kysely_migration_lock',
];

/**
 * SQLite only: a one-row counter (`content_version`) that every insert, update and delete of `table` moves, by
 * triggers, whichever connection or process writes. The store's change version is read from it (see
 * SqliteMetadataStore.changeVersion). Every migration that creates a table calls this for it unless the table is
 * quiet; test/unit/metadata-content-version.test.ts checks that none was forgotten.
 */
export async function moveContentVersionOnWrites(db: Kysely<any>, table: string): Promise<void> {
  if (schemaDialect(db).postgres) return;
  for (const change of ['insert', 'update', 'delete']) {
    await sql.raw(`CREATE TRIGGER content_version_${table}_${change} AFTER ${change.toUpperCase()} ON ${table} `
      + 'BEGIN UPDATE content_version SET value = value + 1; END').execute(db);
  }
}
