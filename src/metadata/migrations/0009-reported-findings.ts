import type { Kysely } from 'kysely';

/**
 * Findings reported by external scanners (Harbor's Pluggable Scanner API), kept beside those Berth matches itself.
 * A Harbor report names a package and a version, no ecosystem and no file, so a reported finding carries its
 * package instead of pointing into the image's inventory:
 * - `reported_by`: the external scanner's name; null for findings Berth matched against the stored advisories, the
 *   only ones a feed change matches again (a reported finding stays as its scanner said until the next scan).
 * - `package_name`, `package_version`: the package as the scanner named it. Such a finding's `package_seq` is
 *   negative (-1, -2, … within the image), so it never names a package of the inventory and the key stays unique.
 * - `summary`, `links` (a JSON array of URLs): what the scanner said of it, for ids the advisory feed does not hold.
 * The existing rows are Berth's own matches: every new column is null for them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const column of ['reported_by', 'package_name', 'package_version', 'summary', 'links']) {
    await db.schema.alterTable('scan_findings').addColumn(column, 'text').execute();
  }
}
