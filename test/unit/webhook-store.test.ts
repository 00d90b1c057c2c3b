import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../../src/metadata/database-schema.js';
import { KyselyMetadataStore } from '../../src/metadata/kysely-metadata-store.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { migrateToLatest } from '../../src/metadata/migrate.js';
import { openPostgresMetadataStore } from '../../src/metadata/open-postgres.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { webhookStoreSuite } from '../suites/webhook-store.suite.js';

/* The webhook store contract on the embedded store, the generic Kysely store over SQLite, and a real PostgreSQL. */
const folders = new Map<object, string>();
const dispose = async (store: MetadataStore): Promise<void> => {
  await store.close();
  rmSync(folders.get(store)!, { recursive: true, force: true });
};

webhookStoreSuite('SQLite', {
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'berth-webhook-store-'));
    const store = await openSqliteMetadataStore(join(dir, 'berth.db'));
    folders.set(store, dir);
    return store;
  },
  dispose,
});

webhookStoreSuite('generic Kysely implementation over SQLite', {
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'berth-webhook-generic-'));
    const sqlite = new SqliteDatabase(join(dir, 'berth.db'));
    // As the embedded store opens it: subscriptions and their logs go with their project through foreign keys.
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    await migrateToLatest(db);
    const store = new KyselyMetadataStore(db);
    folders.set(store, dir);
    return store;
  },
  dispose,
});

let server: Promise<PostgresServer> | undefined;
const running = (): Promise<PostgresServer> => (server ??= startPostgres());

webhookStoreSuite('PostgreSQL', {
  async create(): Promise<MetadataStore> {
    const url = await (await running()).createDatabase('berth_webhooks');
    return openPostgresMetadataStore({ url, poolSize: 4, migrate: true });
  },
});

after(async () => { await (await server)?.stop(); });
