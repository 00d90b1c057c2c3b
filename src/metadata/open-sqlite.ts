import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './database-schema.js';
import { SqliteMetadataStore } from './sqlite-metadata-store.js';
import { withStatementCache } from './statement-cache.js';
import { migrateToLatest } from './migrate.js';
import { backstopPages, SqliteCheckpointer } from './sqlite-checkpointer.js';

/**
 * Opens the embedded metadata store: SQLite in WAL mode, so readers never wait for the writer and several processes
 * may share the file. synchronous=NORMAL keeps every commit atomic and survives a process crash; after a power loss
 * the newest commits may be missing but never half-applied, and blob bytes are always durable before the commit that
 * names them, so the worst case is an unreferenced blob for the sweeper.
 */
export async function openSqliteMetadataStore(path: string): Promise<SqliteMetadataStore> {
  mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Group commits put each write in a savepoint, whose journal SQLite otherwise keeps in a temporary file: in memory
  // it costs no system calls (half a push's writes were that file's). Sorts on this connection stay in memory too;
  // the ones that run here are bounded by a LIMIT or a page.
  sqlite.pragma('temp_store = MEMORY');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrateToLatest(db);
  const reader = new SqliteDatabase(path);
  reader.pragma('query_only = ON');
  reader.pragma('busy_timeout = 5000');
  // Checkpoints run on a thread of their own (sqlite-checkpointer.ts); the writer's stays as a backstop only.
  sqlite.pragma(`wal_autocheckpoint = ${backstopPages}`);
  const checkpointer = await SqliteCheckpointer.start(path);
  return new SqliteMetadataStore(db, sqlite, reader, checkpointer);
}

/** `berth migrate` on SQLite: the migrations applied now (none when the schema was current). */
export async function migrateSqliteFile(path: string): Promise<string[]> {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SqliteDatabase(path) }) });
  try {
    return await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}
