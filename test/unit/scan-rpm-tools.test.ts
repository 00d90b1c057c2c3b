import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { inspectRpmDatabase, type RpmHeader } from '../../src/scanning/inventory/rpm/rpm-database.js';

// Real rpm databases, written at test time by Debian's rpm from packages rpmbuild makes of test/fixtures/scanning/rpm/
// specs, then read back by the reader and compared with what rpm itself lists. CI installs rpm (and db5.3-util for
// the Berkeley DB file); without them these tests are skipped and say so.

const specs = fileURLToPath(new URL('../fixtures/scanning/rpm/specs/', import.meta.url));
const QUERY = '%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{SOURCERPM} %{VENDOR}\\n';
const has = (tool: string, versionFlag = '--version'): boolean => spawnSync(tool, [versionFlag], { stdio: 'ignore' }).status === 0;
const withoutRpm = has('rpm') && has('rpmbuild') ? false : 'rpm and rpmbuild are not installed (apt-get install rpm)';
const withoutDbLoad = has('db5.3_load', '-V') ? false : 'db5.3_load is not installed (apt-get install db5.3-util)';

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A header as `rpm -qa` prints it with QUERY, `(none)` for a missing tag. */
function qaLine(header: RpmHeader): string {
  const or = (value: string | number | undefined): string => (value === undefined ? '(none)' : String(value));
  return [header.name, or(header.epoch), header.version, header.release, or(header.arch), or(header.sourceRpm), or(header.vendor)].join(' ');
}

describe('rpm databases written by rpm itself', { skip: withoutRpm }, () => {
  let work: string;
  let sqliteDb: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-rpmdb-'));
    for (const spec of readdirSync(specs)) run('rpmbuild', ['--quiet', '--define', `_topdir ${work}/build`, '-bb', join(specs, spec)]);
    const rpms = readdirSync(join(work, 'build/RPMS/noarch')).map((name) => join(work, 'build/RPMS/noarch', name));
    sqliteDb = join(work, 'sqlite');
    mkdirSync(sqliteDb);
    run('rpm', ['--dbpath', sqliteDb, '--define', '_db_backend sqlite', '--nodeps', '--justdb', '-i', ...rpms]);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const listed = (dbPath: string, backend: string): string[] =>
    run('rpm', ['--dbpath', dbPath, '--define', `_db_backend ${backend}`, '-qa', '--qf', QUERY]).trimEnd().split('\n');

  it('reads an SQLite rpmdb.sqlite in the order rpm lists it', () => {
    const reading = inspectRpmDatabase('sqlite', readFileSync(join(sqliteDb, 'rpmdb.sqlite')));
    assert.deepEqual(reading.problems, []);
    assert.equal(reading.headers.length, 3);
    assert.deepEqual(reading.headers.map(qaLine), listed(sqliteDb, 'sqlite'));
    assert.ok(reading.headers.some((header) => header.epoch === 7 && header.arch === 'noarch' && header.vendor === 'Berth tests'));
  });

  it('leaves the bytes it was given as they were', () => {
    const bytes = readFileSync(join(sqliteDb, 'rpmdb.sqlite'));
    const before = Buffer.from(bytes);
    inspectRpmDatabase('sqlite', bytes);
    assert.ok(before.equals(bytes));
  });

  for (const [order, pageSize] of [['little', 8192], ['big', 4096]] as const) {
    it(`reads a ${order}-endian Berkeley DB hash file with ${pageSize}-byte pages`, { skip: withoutDbLoad }, () => {
      // Berkeley DB's own db_load writes the Packages file from the blobs rpm stored: key = instance number in the
      // file's byte order, key 0 = rpm's instance counter. With 8 KiB pages the two small headers stay on their
      // hash page; the 20 KB one, and every header with 4 KiB pages, goes to a chain of overflow pages.
      const sqlite = new Database(join(sqliteDb, 'rpmdb.sqlite'), { readonly: true });
      const rows = sqlite.prepare('SELECT hnum, blob FROM Packages').all() as Array<{ hnum: number; blob: Buffer }>;
      sqlite.close();
      const key = (n: number): string => {
        const bytes = Buffer.alloc(4);
        if (order === 'little') bytes.writeUInt32LE(n);
        else bytes.writeUInt32BE(n);
        return bytes.toString('hex');
      };
      const records = [[key(0), key(rows.length + 1)], ...rows.map((row) => [key(row.hnum), row.blob.toString('hex')])];
      const dump = `VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=${pageSize}\nHEADER=END\n${records.map(([k, v]) => ` ${k}\n ${v}\n`).join('')}DATA=END\n`;
      const dbPath = join(work, `bdb-${order}`);
      mkdirSync(dbPath);
      writeFileSync(join(dbPath, 'dump.txt'), dump);
      run('db5.3_load', ['-c', `db_lorder=${order === 'little' ? 1234 : 4321}`, '-f', join(dbPath, 'dump.txt'), join(dbPath, 'Packages')]);
      const reading = inspectRpmDatabase('bdb', readFileSync(join(dbPath, 'Packages')));
      assert.deepEqual(reading.problems, []);
      assert.deepEqual(reading.headers.map(qaLine).sort(), listed(dbPath, 'bdb_ro').sort());
      assert.equal(reading.headers.length, 3);
    });
  }
});

describe('hostile SQLite rpm databases', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-rpmdb-sqlite-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** The bytes of an SQLite file made by running `sql`. */
  function sqliteFile(name: string, sql: string): Buffer {
    const path = join(work, name);
    const db = new Database(path);
    db.exec(sql);
    db.close();
    return readFileSync(path);
  }

  it('refuses a Packages view, which could compute without end', () => {
    const bytes = sqliteFile('view.sqlite', `CREATE VIEW Packages AS WITH RECURSIVE n(hnum) AS (SELECT 1 UNION ALL SELECT hnum + 1 FROM n)
      SELECT hnum, zeroblob(1000000) AS blob FROM n`);
    assert.deepEqual(inspectRpmDatabase('sqlite', bytes), { headers: [], problems: ['Packages is a view, not a table'] });
  });

  it('refuses generated columns, which could allocate without bound', () => {
    const bytes = sqliteFile('generated.sqlite', `CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, size INTEGER,
      blob BLOB GENERATED ALWAYS AS (zeroblob(size)) VIRTUAL); INSERT INTO Packages(hnum, size) VALUES (1, 100)`);
    assert.deepEqual(inspectRpmDatabase('sqlite', bytes), { headers: [], problems: ['Packages has generated or hidden columns'] });
  });

  it('names rows that hold no header and files that are no rpm database', () => {
    const rows = sqliteFile('rows.sqlite', `CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB);
      INSERT INTO Packages VALUES (1, NULL), (2, 'text'), (3, x'0000000100000000')`);
    assert.deepEqual(inspectRpmDatabase('sqlite', rows), {
      headers: [],
      problems: ['a Packages row holds a null, not a blob', 'a Packages row holds a string, not a blob', 'package 1: header needs 24 bytes but has 8'],
    });
    assert.deepEqual(inspectRpmDatabase('sqlite', sqliteFile('empty.sqlite', 'CREATE TABLE Other(x)')).problems, ['no Packages table']);
    assert.deepEqual(inspectRpmDatabase('sqlite', Buffer.from('not a database')).problems, ['not an SQLite database']);
  });

  it('never throws on a truncated or damaged file', () => {
    const rows = Array.from({ length: 200 }, (_, n) => `(${n + 1}, randomblob(${500 + n * 37}))`).join(', ');
    const original = sqliteFile('many.sqlite', `CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB); INSERT INTO Packages VALUES ${rows}`);
    let seed = 3;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 60; round++) {
      const file = Buffer.from(original.subarray(0, 100 + (next() % (original.length - 100))));
      for (let flips = 0; flips < 8; flips++) file[100 + (next() % (file.length - 100))] = next() % 256;
      const reading = inspectRpmDatabase('sqlite', file);
      assert.ok(reading.headers.length === 0 && reading.problems.length > 0);
    }
  });
});
