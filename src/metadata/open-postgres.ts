import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { OperatorError } from '../errors/operator-error.js';
import type { Database } from './database-schema.js';
import { migrateToLatest } from './migrate.js';
import { PostgresMetadataStore } from './postgres-metadata-store.js';

export interface PostgresOptions {
  /** postgres://user:password@host:port/database (libpq-style query options such as sslmode are honoured). */
  readonly url: string;
  /** Connections this node keeps open at most. */
  readonly poolSize: number;
  /** Bring the schema up to date before serving (true), or only check that it is (false: run `berth migrate`). */
  readonly migrate: boolean;
}

/** Any one Berth lock id: the advisory lock held while migrations run, so nodes starting together take turns. */
const migrationLockId = 0x62657274; // "bert"
const int8 = 20;

/**
 * Connection settings shared by the pool and the listening session. int8 columns (sizes, timestamps) come back as
 * JavaScript numbers: they stay far below 2^53, and the code compares them as numbers.
 */
function clientConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: 'berth',
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === int8 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
  };
}

/**
 * A connection pool that survives broken connections. pg emits 'error' on a client whose connection dies (database
 * restart, network), idle in the pool or in the middle of a query; unheard, that event would end the process. The
 * query itself fails with the same error, so callers still see it; the pool replaces the connection on next use.
 */
function openPool(url: string, max: number, log?: Logger): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(url), max });
  const broken = (error: Error): void => {
    log?.warn({ err: error }, 'a PostgreSQL connection broke; the pool opens a new one when needed');
  };
  pool.on('error', broken);
  pool.on('connect', (client) => { client.on('error', broken); });
  return pool;
}

/** Opens the shared metadata store on PostgreSQL, migrating (under an advisory lock) or checking the schema. */
export async function openPostgresMetadataStore(options: PostgresOptions, log?: Logger): Promise<PostgresMetadataStore> {
  const pool = openPool(options.url, options.poolSize, log);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migratePostgres(db, options.url, options.migrate ? 'migrate' : 'check');
    const store = new PostgresMetadataStore(db, () => new pg.Client(clientConfig(options.url)), log, pool);
    try {
      await store.listen();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw describeConnectionError(error, options.url);
  }
}

/**
 * Runs (or checks) the migrations while holding a session advisory lock on a connection of its own, so that nodes
 * starting at once migrate one after another: the second finds nothing left to do. Kysely's migrator takes a lock
 * too, but only after creating its bookkeeping tables, which two sessions racing can both try to create.
 */
export async function migratePostgres(db: Kysely<Database>, url: string, mode: 'migrate' | 'check'): Promise<string[]> {
  const lock = new pg.Client(clientConfig(url));
  lock.on('error', () => undefined); // a broken lock session fails the migration through its next query
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [migrationLockId]);
    return await migrateToLatest(db, mode);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [migrationLockId]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}

/** Says which server could not be reached, without the password. */
function describeConnectionError(error: unknown, url: string): Error {
  const code = (error as { code?: string }).code;
  if (code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== '28P01' && code !== '3D000' && code !== '28000') {
    return error as Error;
  }
  let where = 'the database';
  try {
    const parsed = new URL(url);
    where = `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}, database ${parsed.pathname.slice(1) || '(default)'}`;
  } catch { /* keep the generic wording */ }
  return new OperatorError(`cannot open ${where}: ${(error as Error).message}. Check BERTH_DATABASE_URL (database.url)`, { cause: error });
}

/** `berth migrate` on PostgreSQL: the migrations applied now (none when the schema was current). */
export async function migratePostgresDatabase(url: string): Promise<string[]> {
  const pool = openPool(url, 2);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    return await migratePostgres(db, url, 'migrate');
  } catch (error) {
    throw describeConnectionError(error, url);
  } finally {
    await db.destroy();
  }
}
