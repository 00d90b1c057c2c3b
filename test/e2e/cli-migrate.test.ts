/*
 * `berth migrate`, and what `berth serve` says when it cannot use the database: run as a user would, through
 * bin/berth.js, against SQLite and a real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { knownMigrations } from '../../src/metadata/migrate.js';

const cli = join(resolve(import.meta.dirname, '..', '..'), 'bin', 'berth.js');
const run = promisify(execFile);

async function berth(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('berth migrate', { timeout: 120_000 }, () => {
  let server: PostgresServer;
  const dirs: string[] = [];
  before(async () => { server = await startPostgres(); });
  after(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await server?.stop();
  });

  it('migrates a SQLite data folder once, then says it is up to date', async () => {
    const data = mkdtempSync(join(tmpdir(), 'berth-migrate-'));
    dirs.push(data);
    const first = await berth(['migrate', '--data', data]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`applied migrations ${knownMigrations().join(', ')}\n`));
    const second = await berth(['migrate', '--data', data]);
    assert.match(second.stdout, /up to date/);
  });

  it('migrates PostgreSQL from BERTH_DATABASE_URL; a node told not to migrate then starts', async () => {
    const url = await server.createDatabase();
    const data = mkdtempSync(join(tmpdir(), 'berth-migrate-'));
    dirs.push(data);
    const refused = await berth(['serve', '--listen', '127.0.0.1:0', '--data', data], { BERTH_DATABASE_URL: url, BERTH_DATABASE_MIGRATE: 'false' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`lacks migrations ${knownMigrations().join(', ')}: run "berth migrate"`));
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'a message, not a stack trace');

    const migrated = await berth(['migrate'], { BERTH_DATABASE_URL: url });
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, new RegExp(`applied migrations ${knownMigrations().join(', ')}\n`));
    assert.match((await berth(['migrate', '--database-url', url])).stdout, /up to date/);
  });

  it('says which database it cannot reach, and exits non-zero without a stack trace', async () => {
    const result = await berth(['migrate'], { BERTH_DATABASE_URL: `postgres://berth:pw@127.0.0.1:${server.port}/missing_db` });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot open PostgreSQL at 127\.0\.0\.1:\d+, database missing_db/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
