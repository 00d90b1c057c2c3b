import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import * as initial from '../../src/metadata/migrations/0001-initial.js';
import * as jobs from '../../src/metadata/migrations/0002-jobs.js';
import * as access from '../../src/metadata/migrations/0003-access.js';
import * as events from '../../src/metadata/migrations/0004-events.js';
import { migrateToLatest } from '../../src/metadata/migrate.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

/** A database as the release before case-insensitive usernames left it, holding users with the given names. */
async function before(db: Kysely<any>, usernames: string[]): Promise<void> {
  const old = new Migrator({ db, provider: { getMigrations: async () => ({ '0001-initial': initial, '0002-jobs': jobs, '0003-access': access, '0004-events': events }) } });
  assert.equal((await old.migrateToLatest()).error, undefined);
  for (const username of usernames) await insertUser(db, username);
}

function insertUser(db: Kysely<any>, username: string): Promise<unknown> {
  return db.insertInto('users').values({ username, source: 'local', admin: 0, disabled: 0, created_at: 1, updated_at: 1 }).execute();
}

function migrationTests(open: () => Promise<{ db: Kysely<any>; close(): Promise<void> }>): void {
  it('stops, naming the users, when some differ only in case, and goes on once one of each is left', async () => {
    const { db, close } = await open();
    try {
      await before(db, ['Admin', 'admin', 'bob', 'carol', 'CAROL', 'Carol']);
      await assert.rejects(migrateToLatest(db), (error: Error) => {
        assert.match(error.message, /0005-username-case failed: usernames are now case-insensitive, but these users differ only in case: "Admin", "admin", "CAROL", "Carol", "carol"\. Keep one of each/);
        assert.doesNotMatch(error.message, /bob/);
        return true;
      });
      await db.deleteFrom('users').where('username', 'in', ['admin', 'CAROL', 'carol']).execute();
      assert.equal((await migrateToLatest(db))[0], '0005-username-case', 'and the rest follow');
    } finally {
      await close();
    }
  });

  it('refuses a second user whose name differs only in case, even past the store\'s own check', async () => {
    const { db, close } = await open();
    try {
      await before(db, ['Admin']);
      await migrateToLatest(db);
      await assert.rejects(insertUser(db, 'aDMIN'));
      await insertUser(db, 'admin2');
    } finally {
      await close();
    }
  });
}

describe('migration 0005-username-case on SQLite', () => {
  migrationTests(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-migrate-case-'));
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'berth.db')) }) });
    return { db, close: async () => { await db.destroy(); rmSync(dir, { recursive: true, force: true }); } };
  });
});

describe('migration 0005-username-case on PostgreSQL', () => {
  let server: Promise<PostgresServer> | undefined;
  after(async () => { await (await server)?.stop(); });
  migrationTests(async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase('berth_case');
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
    return { db, close: () => db.destroy() };
  });
});
