import type { Kysely } from 'kysely';

/**
 * Notation trust and per-platform enforcement (issue 14):
 * - `trust_policies.per_platform` (0/1): each platform of an index needs a signature of its own, rather than being
 *   vouched for by a signed index that lists it.
 * - `trust_policies.notation_policy`: the project's Notary Project trust policy document (JSON, version 1.0), or null
 *   when notation signatures are not checked. Its trust stores are rows of `trust_keys` of kind `notation-store`,
 *   named as the document names them (`ca:NAME`, `signingAuthority:NAME`, `tsa:NAME`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('trust_policies').addColumn('per_platform', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('trust_policies').addColumn('notation_policy', 'text').execute();
}
