import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from './database-schema.js';
import type { NewTrustKey, SignerIdentity, TrustKey, TrustMode, TrustPolicy, TrustStore } from './trust-store.js';

type Write = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

/** The trust store over Kysely, for every dialect; its writes go through the metadata store's counted transactions. */
export class KyselyTrustStore implements TrustStore {
  readonly #db: Kysely<Database>;
  readonly #write: Write;

  constructor(db: Kysely<Database>, write: Write) {
    this.#db = db;
    this.#write = write;
  }

  async trustPolicies(): Promise<Map<string, TrustPolicy>> {
    const rows = await this.#db.selectFrom('trust_policies').selectAll().execute();
    return new Map(rows.map((row) => [row.project, {
      project: row.project, mode: row.mode as TrustMode, identities: JSON.parse(row.identities) as SignerIdentity[],
      perPlatform: Number(row.per_platform) === 1, notationPolicy: row.notation_policy === null ? null : JSON.parse(row.notation_policy) as unknown,
      updatedBy: row.updated_by, updatedAt: Number(row.updated_at),
    }]));
  }

  async saveTrustPolicy(policy: TrustPolicy): Promise<void> {
    const row = {
      project: policy.project, mode: policy.mode, identities: JSON.stringify(policy.identities), per_platform: policy.perPlatform ? 1 : 0,
      notation_policy: policy.notationPolicy === null || policy.notationPolicy === undefined ? null : JSON.stringify(policy.notationPolicy),
      updated_by: policy.updatedBy, updated_at: policy.updatedAt,
    };
    await this.#write(async (trx) => {
      await trx.insertInto('trust_policies').values(row).onConflict((oc) => oc.column('project').doUpdateSet(row)).execute();
    });
  }

  async trustKeys(project: string): Promise<TrustKey[]> {
    const rows = await this.#db.selectFrom('trust_keys').selectAll().where('project', '=', project).orderBy('name').execute();
    return rows.map(toKey);
  }

  async addTrustKey(key: NewTrustKey): Promise<TrustKey | undefined> {
    return this.#write(async (trx) => {
      const row = await trx.insertInto('trust_keys').values({
        project: key.project, name: key.name, kind: key.kind, pem: key.pem, hint: key.hint, created_by: key.createdBy, created_at: key.createdAt,
      }).onConflict((oc) => oc.columns(['project', 'name']).doNothing()).returningAll().executeTakeFirst();
      return row && toKey(row);
    });
  }

  async removeTrustKey(project: string, name: string): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx.deleteFrom('trust_keys').where('project', '=', project).where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async indexesHolding(repository: string, digest: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('manifest_references as mr')
      .innerJoin('repository_manifests as rm', 'rm.digest', 'mr.manifest_digest')
      .select('mr.manifest_digest').where('rm.repository', '=', repository)
      .where('mr.child_digest', '=', digest).where('mr.kind', '=', 'manifest').orderBy('mr.manifest_digest').execute();
    return rows.map((row) => row.manifest_digest);
  }
}

function toKey(row: Selectable<Database['trust_keys']>): TrustKey {
  return {
    id: Number(row.id), project: row.project, name: row.name, kind: row.kind as TrustKey['kind'], pem: row.pem, hint: row.hint,
    createdBy: row.created_by, createdAt: Number(row.created_at),
  };
}
