import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import * as initial from '../../src/metadata/migrations/0001-initial.js';
import * as jobs from '../../src/metadata/migrations/0002-jobs.js';
import { migrateToLatest } from '../../src/metadata/migrate.js';

it('gives repositories pushed before access control existed a private project each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-migrate-access-'));
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'berth.db')) }) });
  try {
    // A database as the release before access control left it.
    const old = new Migrator({ db, provider: { getMigrations: async () => ({ '0001-initial': initial, '0002-jobs': jobs }) } });
    assert.equal((await old.migrateToLatest()).error, undefined);
    for (const name of ['team/app', 'team/web', 'library', 'tools/x/y']) {
      await db.insertInto('repositories').values({ name, created_at: 1 }).execute();
    }
    assert.equal((await migrateToLatest(db))[0], '0003-access');
    const projects = await db.selectFrom('projects').select(['name', 'public']).orderBy('name').execute();
    assert.deepEqual(projects, [{ name: 'library', public: 0 }, { name: 'team', public: 0 }, { name: 'tools', public: 0 }]);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
