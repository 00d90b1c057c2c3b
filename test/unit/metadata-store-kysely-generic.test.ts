import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../../src/metadata/database-schema.js';
import { KyselyMetadataStore } from '../../src/metadata/kysely-metadata-store.js';
import { migrateToLatest } from '../../src/metadata/migrate.js';
import { metadataStoreSuite } from '../suites/metadata-store.suite.js';

/*
 * The embedded store answers its hot paths with SQL of its own; the dialect-independent Kysely implementation,
 * which other databases use, runs the same contract here over SQLite so that neither drifts.
 */
const folders = new Map<object, string>();

metadataStoreSuite('generic Kysely implementation over SQLite', {
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'berth-meta-generic-'));
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'berth.db')) }) });
    await migrateToLatest(db);
    const store = new KyselyMetadataStore(db);
    folders.set(store, dir);
    return store;
  },
  async dispose(store) {
    await store.close();
    rmSync(folders.get(store)!, { recursive: true, force: true });
  },
});
