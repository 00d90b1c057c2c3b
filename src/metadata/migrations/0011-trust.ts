import type { Kysely } from 'kysely';
import { moveContentVersionOnWrites } from './content-version.js';
import { schemaDialect } from './dialect.js';

/**
 * Signature trust per project (issue 14), by project name as the vulnerability policies are (a project made again
 * under the name keeps its protection):
 * - `trust_policies`: the project's mode: off, audit (pulls go on, verdicts are recorded) or enforce (a pull of an
 *   image without a valid signature from a trusted signer is refused); the identities a certificate signer must have
 *   (`identities`, a JSON array of {subject, issuer?}; empty: any the project's roots vouch for); who set it when.
 * - `trust_keys`: what a project trusts, each under a name unique in the project: a cosign public key (kind
 *   `cosign-key`, PEM SubjectPublicKeyInfo, its hint the base64 of the SHA-256 of the key's DER, as sigstore bundles
 *   name keys) or CA certificates that certificate signatures must chain to (kind `ca-roots`, PEM, one or more
 *   certificates, its hint the first one's SHA-256 fingerprint).
 * The pull policy caches both per change version, so their writes move it (on SQLite, by triggers).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { bytewise, serial } = schemaDialect(db);
  const id = (c: any) => (serial === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.schema.createTable('trust_policies')
    .addColumn('project', 'text', (c) => bytewise(c).primaryKey())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('identities', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await moveContentVersionOnWrites(db, 'trust_policies');

  await db.schema.createTable('trust_keys')
    .addColumn('id', serial, id)
    .addColumn('project', 'text', (c) => bytewise(c).notNull())
    .addColumn('name', 'text', (c) => bytewise(c).notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('pem', 'text', (c) => c.notNull())
    .addColumn('hint', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('trust_keys_name').on('trust_keys').unique().columns(['project', 'name']).execute();
  await moveContentVersionOnWrites(db, 'trust_keys');
}
