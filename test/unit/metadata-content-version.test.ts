import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { quietTables } from '../../src/metadata/migrations/content-version.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import type { SqliteMetadataStore } from '../../src/metadata/sqlite-metadata-store.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

/**
 * The embedded store's change version is a counter triggers move on writes to the tables caches read, and only
 * those: background bookkeeping (jobs, the outbox, the scanner's results) must not empty every cache.
 */
describe('the embedded store\'s content version', () => {
  let dir: string;
  let store: SqliteMetadataStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-content-version-'));
    store = await openSqliteMetadataStore(join(dir, 'berth.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the three triggers on every table that is not quiet, and none on the quiet ones', () => {
    // A migration that adds a table and forgets moveContentVersionOnWrites fails here: its writes would leave caches stale.
    const db = new Database(join(dir, 'berth.db'), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
      const triggers = db.prepare("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'").all() as { tbl_name: string; name: string }[];
      for (const table of tables) {
        const own = triggers.filter((trigger) => trigger.tbl_name === table).map((trigger) => trigger.name).sort();
        const expected = quietTables.includes(table) ? [] : ['delete', 'insert', 'update'].map((change) => `content_version_${table}_${change}`);
        assert.deepEqual(own, expected, `table ${table}`);
      }
      assert.ok(tables.includes('tags') && tables.includes('jobs') && tables.includes('scan_reports'));
    } finally {
      db.close();
    }
  });

  it('moves with a push, a policy or an access change, and not with jobs, events or scan results', async () => {
    const start = store.changeVersion();
    await store.enqueueJob({ kind: 'test.work', payload: {}, runAfter: 0, maxAttempts: 1, now: 1 });
    await store.outbox().append([{ type: 'artifact.pulled', repository: 'team/app', digest: digest(1), origin: { actor: 'a', actorKind: 'anonymous' }, at: 1 }]);
    await store.scans().markQueued([digest(1)], 'berth', 1);
    await store.scans().saveScan(digest(1), { scanner: 'berth', distro: undefined, packages: [], findings: [] }, 2);
    assert.equal(store.changeVersion(), start, 'background writes leave the caches alone');

    await store.putManifest({
      repository: 'team/app', digest: digest(2), mediaType: 'application/vnd.oci.image.manifest.v1+json', content: Buffer.from('{}'),
      artifactType: undefined, subjectDigest: undefined, annotations: undefined, references: [], tags: ['v1'], now: 3,
    });
    const pushed = store.changeVersion();
    assert.ok(pushed > start, 'a push moves it');
    await store.scans().saveVulnerabilityPolicy({ project: 'team', blockSeverity: 'HIGH', blockUnscanned: false, autoQuarantine: false, updatedBy: 'a', updatedAt: 4 });
    assert.ok(store.changeVersion() > pushed, 'a policy change moves it');
  });
});
