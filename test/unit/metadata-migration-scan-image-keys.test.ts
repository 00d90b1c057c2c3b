import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { migrateThrough, migrateToLatest } from '../../src/metadata/migrate.js';
import { KyselyScanStore } from '../../src/metadata/kysely-scan-store.js';
import type { Database } from '../../src/metadata/database-schema.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

const report = (at: string, status: string, counts: number) => ({
  digest: at, status, reason: null, scanner: 'berth', distro: null, package_count: 2, critical: counts, high: 0, medium: 0, low: counts, other: 0,
  fixable: counts, queued_at: 1, started_at: 2, finished_at: 3, matched_at: 3,
});

const packageRow = (at: string, seq: number, name: string) => ({
  digest: at, seq, kind: 'dpkg', ecosystem: 'Debian:12', match_name: name, name, version: '1.0-1', source_name: null, source_version: null, arch: 'amd64',
  purl: `pkg:deb/debian/${name}@1.0-1`, path: 'var/lib/dpkg/status',
});

const findingRow = (at: string, advisoryId: string, seq: number, severity: string, reportedBy: string | null = null) => ({
  digest: at, advisory_id: advisoryId, package_seq: seq, fixed_version: '1.0-2', severity, score: null,
  reported_by: reportedBy, package_name: reportedBy && 'zlib1g', package_version: reportedBy && '1.0-1', summary: null, links: reportedBy && '[]',
});

function migrationTests(open: () => Promise<{ db: Kysely<any>; close(): Promise<void> }>): void {
  it('keys scanned images by number, in digest order, and keeps every report, package and finding', async () => {
    const { db, close } = await open();
    try {
      await migrateThrough(db, '0009-reported-findings');
      // Inserted out of digest order: the keys still follow it.
      await db.insertInto('scan_reports').values([report(digest(9), 'done', 1), report(digest(2), 'done', 0), report(digest(5), 'queued', 0)]).execute();
      await db.insertInto('scan_packages').values([packageRow(digest(9), 0, 'zlib'), packageRow(digest(9), 1, 'glibc'), packageRow(digest(2), 0, 'zlib')]).execute();
      await db.insertInto('scan_findings').values([findingRow(digest(9), 'DSA-1', 0, 'CRITICAL'), findingRow(digest(9), 'CVE-X', -1, 'LOW', 'trivy')]).execute();

      assert.equal((await migrateToLatest(db))[0], '0010-scan-image-keys', 'and the rest follow');
      const keys = await db.selectFrom('scan_reports').select(['image_id', 'digest']).orderBy('image_id').execute();
      assert.deepEqual(keys.map((row) => row.digest), [digest(2), digest(5), digest(9)]);
      const store = new KyselyScanStore(db as Kysely<Database>, write(db), write(db));
      assert.deepEqual((await store.packages(digest(9))).map((pkg) => [pkg.seq, pkg.name]), [[0, 'zlib'], [1, 'glibc']]);
      assert.deepEqual((await store.packages(digest(2))).map((pkg) => [pkg.seq, pkg.name]), [[0, 'zlib']]);
      assert.deepEqual((await store.findings(digest(9))).map((found) => [found.advisoryId, found.packageSeq, found.severity, found.reported?.scanner]),
        [['CVE-X', -1, 'LOW', 'trivy'], ['DSA-1', 0, 'CRITICAL', undefined]]);
      const reports = await store.reports([digest(9), digest(5)]);
      assert.deepEqual([reports.get(digest(9))!.counts.critical, reports.get(digest(5))!.status], [1, 'queued']);
      const scope = await store.rematchScope([{ ecosystem: 'Debian:12', name: 'zlib' }], ['DSA-1']);
      assert.deepEqual([scope.variants.map((variant) => variant.packages), scope.findings], [[2], 1]);

      // New scans take the next keys, and the digest stays unique.
      await store.saveScan(digest(1), { scanner: 'berth', distro: undefined, packages: [], findings: [] }, 10);
      const newest = await db.selectFrom('scan_reports').select(['image_id', 'digest']).orderBy('image_id', 'desc').executeTakeFirstOrThrow();
      assert.equal(newest.digest, digest(1));
      await assert.rejects(db.insertInto('scan_reports').values(report(digest(1), 'done', 0)).execute());
    } finally {
      await close();
    }
  });
}

function write(db: Kysely<any>) {
  return <T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> => (db as Kysely<Database>).transaction().execute(work);
}

describe('migration 0010-scan-image-keys on SQLite', () => {
  migrationTests(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-migrate-keys-'));
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(dir, 'berth.db')) }) });
    return { db, close: async () => { await db.destroy(); rmSync(dir, { recursive: true, force: true }); } };
  });
});

describe('migration 0010-scan-image-keys on PostgreSQL', () => {
  let server: Promise<PostgresServer> | undefined;
  after(async () => { await (await server)?.stop(); });
  migrationTests(async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase('berth_scan_keys');
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
    return { db, close: () => db.destroy() };
  });
});
