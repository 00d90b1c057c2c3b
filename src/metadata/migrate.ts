import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { OperatorError } from '../errors/operator-error.js';
import * as initial from './migrations/0001-initial.js';
import * as jobs from './migrations/0002-jobs.js';
import * as access from './migrations/0003-access.js';
import * as events from './migrations/0004-events.js';
import * as usernameCase from './migrations/0005-username-case.js';
import * as webhooks from './migrations/0006-webhooks.js';
import * as insight from './migrations/0007-insight.js';
import * as scanning from './migrations/0008-scanning.js';
import * as reportedFindings from './migrations/0009-reported-findings.js';
import * as scanImageKeys from './migrations/0010-scan-image-keys.js';
import * as trust from './migrations/0011-trust.js';
import * as trustNotation from './migrations/0012-trust-notation.js';

/** Migrations in order; a new one is appended here and never edited once released. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-jobs': jobs,
  '0003-access': access,
  '0004-events': events,
  '0005-username-case': usernameCase,
  '0006-webhooks': webhooks,
  '0007-insight': insight,
  '0008-scanning': scanning,
  '0009-reported-findings': reportedFindings,
  '0010-scan-image-keys': scanImageKeys,
  '0011-trust': trust,
  '0012-trust-notation': trustNotation,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** The schema is older than this Berth and the node was told not to migrate. */
export class SchemaOutOfDateError extends OperatorError {
  constructor(readonly pending: string[]) {
    super(`the metadata database lacks migrations ${pending.join(', ')}: run "berth migrate" (or start one node with migrations on)`);
    this.name = 'SchemaOutOfDateError';
  }
}

/**
 * Brings the schema up to date (`migrate`), or only checks that it is (`check`); throws with the failing
 * migration's name when one fails. Returns the names of the migrations applied now.
 */
export async function migrateToLatest(db: Kysely<any>, mode: 'migrate' | 'check' = 'migrate'): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  if (mode === 'check') {
    const pending = (await migrator.getMigrations()).filter((migration) => migration.executedAt === undefined);
    if (pending.length > 0) throw new SchemaOutOfDateError(pending.map((migration) => migration.name));
    return [];
  }
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`metadata migration ${failed} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** Names of every migration this Berth knows, in order. */
export const knownMigrations = (): string[] => Object.keys(migrations);

/** Migrates up to and including `last` only: how a migration's tests make a database as the release before left it. */
export async function migrateThrough(db: Kysely<any>, last: string): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateTo(last);
  if (error) throw error;
}
