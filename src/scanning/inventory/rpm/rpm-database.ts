// The installed packages of an rpm database, whichever of rpm's three storage backends wrote it. Each backend stores
// one header blob per package; this module gets the blobs out and decodes them. Everything read here comes from an
// image, so nothing may throw: what cannot be read is skipped and named among the problems.

import Database from 'better-sqlite3';
import { readBerkeleyDbValues } from './rpm-bdb.js';
import { type RpmHeader, parseRpmHeader } from './rpm-header.js';
import { readNdbBlobs } from './rpm-ndb.js';

export type { RpmHeader } from './rpm-header.js';

/** bdb: `Packages` (CentOS ≤ 8, UBI 8); sqlite: `rpmdb.sqlite` (Fedora ≥ 33, RHEL 9); ndb: `Packages.db` (SUSE 15). */
export type RpmDatabaseKind = 'bdb' | 'sqlite' | 'ndb';

export interface RpmDatabaseReading {
  headers: RpmHeader[];
  /** What was skipped and why, for the scan's log; the first few only. */
  problems: string[];
}

// A hostile file can hold a bad entry on every page; a scan log needs the first few, not a million.
const MAX_PROBLEMS = 20;

/** The packages of an rpm database, or as many as could be read. Never throws. */
export function readRpmDatabase(kind: RpmDatabaseKind, bytes: Buffer): RpmHeader[] {
  return inspectRpmDatabase(kind, bytes).headers;
}

/** The packages of an rpm database and what could not be read of it. Never throws. */
export function inspectRpmDatabase(kind: RpmDatabaseKind, bytes: Buffer): RpmDatabaseReading {
  const problems: string[] = [];
  let unreported = 0;
  const onProblem = (message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(message);
    else unreported++;
  };
  const blobs = kind === 'bdb' ? readBerkeleyDbValues(bytes, onProblem) : kind === 'ndb' ? readNdbBlobs(bytes, onProblem) : readSqliteBlobs(bytes, onProblem);
  const headers: RpmHeader[] = [];
  blobs.forEach((blob, index) => {
    const header = parseRpmHeader(blob);
    if (typeof header === 'string') onProblem(`package ${index + 1}: ${header}`);
    else headers.push(header);
  });
  if (unreported > 0) problems.push(`and ${unreported} more problems`);
  return { headers, problems };
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * The `blob` column of `Packages(hnum, blob)`, in `hnum` order as `rpm -qa` lists them. The file is opened from memory,
 * read-only, with the schema distrusted: `Packages` must be a plain table without generated columns, since a view or
 * a generated column could make the read compute without end or allocate without bound.
 */
function readSqliteBlobs(bytes: Buffer, onProblem: (message: string) => void): Buffer[] {
  if (bytes.length < 100 || bytes.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    onProblem('not an SQLite database');
    return [];
  }
  const blobs: Buffer[] = [];
  let db: Database.Database | undefined;
  try {
    db = openFromMemory(bytes);
    db.pragma('trusted_schema = OFF');
    db.pragma('cell_size_check = ON');
    const table = db.prepare("SELECT type FROM sqlite_schema WHERE name = 'Packages'").pluck().get();
    if (table !== 'table') {
      onProblem(table === undefined ? 'no Packages table' : `Packages is a ${String(table)}, not a table`);
      return [];
    }
    const generated = db.prepare("SELECT count(*) FROM pragma_table_xinfo('Packages') WHERE hidden <> 0").pluck().get();
    if (generated !== 0) {
      onProblem('Packages has generated or hidden columns');
      return [];
    }
    for (const value of db.prepare('SELECT blob FROM Packages ORDER BY hnum').pluck().iterate()) {
      if (Buffer.isBuffer(value)) blobs.push(value);
      else onProblem(`a Packages row holds a ${value === null ? 'null' : typeof value}, not a blob`);
    }
  } catch (error) {
    onProblem(`SQLite: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    db?.close();
  }
  return blobs;
}

/**
 * rpm leaves its database in WAL mode, which SQLite cannot open from memory; marked as rollback-journal mode, the
 * same pages read the same (a WAL file beside it is not seen: rpm checkpoints it when it exits). SQLite copies the
 * bytes when it opens them, so the mark is set on the caller's buffer only for that moment rather than on a third copy
 * of a database that may be large.
 */
function openFromMemory(bytes: Buffer): Database.Database {
  const writeVersion = bytes[18]!;
  const readVersion = bytes[19]!;
  bytes[18] = 1;
  bytes[19] = 1;
  try {
    return new Database(bytes, { readonly: true });
  } finally {
    bytes[18] = writeVersion;
    bytes[19] = readVersion;
  }
}
