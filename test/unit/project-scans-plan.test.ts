/**
 * The project vulnerability overview's queries on SQLite start from the project's own rows: a range of
 * `repository_manifests`' primary key, then each manifest and scan report by key. No table is scanned whole, so a
 * registry of many projects costs a project's overview nothing (EXPLAIN QUERY PLAN of the queries the store runs).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, type Compilable } from 'kysely';
import type { Database } from '../../src/metadata/database-schema.js';
import { projectImagesQuery, projectScanTotalsQuery } from '../../src/metadata/kysely-project-scans.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';

describe('the project overview\'s query plans (SQLite)', () => {
  let dir: string;
  let sqlite: SqliteDatabase.Database;
  let db: Kysely<Database>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-plan-'));
    // Opened once through the store, which creates the schema.
    await (await openSqliteMetadataStore(join(dir, 'berth.db'))).close();
    sqlite = new SqliteDatabase(join(dir, 'berth.db'));
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  });
  after(async () => {
    await db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function plan(query: Compilable): string[] {
    const { sql, parameters } = query.compile();
    return (sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(parameters as unknown[])) as { detail: string }[]).map((row) => row.detail);
  }

  function assertIndexed(steps: readonly string[]): void {
    assert.deepEqual(steps.filter((step) => /^SCAN /.test(step)), [], `no table read whole:\n${steps.join('\n')}`);
    const searches = steps.filter((step) => step.startsWith('SEARCH '));
    assert.match(searches[0]!, /^SEARCH rm USING (COVERING )?INDEX sqlite_autoindex_repository_manifests_1 \(repository=\?\)/, steps.join('\n'));
    assert.match(searches[1]!, /^SEARCH rm USING (COVERING )?INDEX sqlite_autoindex_repository_manifests_1 \(repository>\? AND repository<\?\)/, steps.join('\n'));
    assert.ok(searches.some((step) => /^SEARCH m USING INDEX sqlite_autoindex_manifests_1 \(digest=\?\)/.test(step)), steps.join('\n'));
    assert.ok(searches.some((step) => /^SEARCH sr USING INDEX sqlite_autoindex_scan_reports_1 \(digest=\?\)/.test(step)), steps.join('\n'));
  }

  it('reads a page of images, first or after a cursor, from the project\'s range', () => {
    assertIndexed(plan(projectImagesQuery(db, 'team', undefined, 51)));
    assertIndexed(plan(projectImagesQuery(db, 'team', { rank: [1, 2, 0, 0, 0, 1], repository: 'team/app', digest: `sha256:${'0'.repeat(64)}` }, 51)));
  });

  it('counts the project\'s figures from the same range', () => {
    assertIndexed(plan(projectScanTotalsQuery(db, 'team')));
  });
});
