import type { Kysely, Selectable, Transaction } from 'kysely';
import { quarantineEvent, type EventOrigin } from '../events/registry-event.js';
import type { Database } from './database-schema.js';
import { toEventRow } from './event-rows.js';
import { precompiled } from './precompiled.js';
import type { ImmutableTagRule, NewImmutableTagRule, NewQuarantine, PolicyStore, Puller, Quarantine } from './policy-store.js';

type Write = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

/** The policy store over Kysely, for every dialect; its writes go through the metadata store's counted transactions. */
export class KyselyPolicyStore implements PolicyStore {
  readonly #db: Kysely<Database>;
  readonly #write: Write;
  /** Read by the policies after every write (a push moves the change version): compiled once. */
  readonly #rulesOf: (project: string) => Promise<Selectable<Database['immutable_tag_rules']>[]>;
  readonly #quarantinesOf: (repository: string) => Promise<Selectable<Database['quarantines']>[]>;

  constructor(db: Kysely<Database>, write: Write) {
    this.#db = db;
    this.#write = write;
    this.#rulesOf = precompiled(db, db.selectFrom('immutable_tag_rules').selectAll().where('project', '=', '').orderBy('id'));
    this.#quarantinesOf = precompiled(db, db.selectFrom('quarantines').selectAll().where('repository', '=', '')
      .orderBy('via').orderBy('created_at'));
  }

  async immutableRules(project: string): Promise<ImmutableTagRule[]> {
    return (await this.#rulesOf(project)).map(toRule);
  }

  async addImmutableRule(rule: NewImmutableTagRule): Promise<ImmutableTagRule> {
    return this.#write(async (trx) => {
      const row = await trx.insertInto('immutable_tag_rules').values({
        project: rule.project, repository_pattern: rule.repositoryPattern, tag_pattern: rule.tagPattern,
        created_by: rule.createdBy, created_at: rule.createdAt,
      }).returningAll().executeTakeFirstOrThrow();
      return toRule(row);
    });
  }

  async deleteImmutableRule(project: string, id: number): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx.deleteFrom('immutable_tag_rules').where('project', '=', project).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async quarantine(entry: NewQuarantine): Promise<boolean> {
    const { repository, digest, reason, origin, now } = entry;
    return this.#write(async (trx) => {
      const existing = await trx.selectFrom('quarantines').select('digest')
        .where('repository', '=', repository).where('digest', '=', digest).where('via', '=', '').executeTakeFirst();
      if (existing) return false;
      const createdBy = origin.actor;
      const rows = [{ repository, digest, via: '', reason, created_by: createdBy, created_at: now },
        ...[...new Set(entry.children)].filter((child) => child !== digest)
          .map((child) => ({ repository, digest: child, via: digest, reason, created_by: createdBy, created_at: now }))];
      for (let i = 0; i < rows.length; i += 500) {
        await trx.insertInto('quarantines').values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.columns(['repository', 'digest', 'via']).doNothing()).execute();
      }
      await trx.insertInto('events').values(toEventRow(quarantineEvent('artifact.quarantined', repository, digest,
        { reason, children: rows.length - 1 }, origin, now))).execute();
      return true;
    });
  }

  async release(repository: string, digest: string, origin: EventOrigin, now: number): Promise<boolean> {
    return this.#write(async (trx) => {
      const own = await trx.deleteFrom('quarantines')
        .where('repository', '=', repository).where('digest', '=', digest).where('via', '=', '').executeTakeFirst();
      if (Number(own.numDeletedRows) === 0) return false;
      const children = await trx.deleteFrom('quarantines').where('repository', '=', repository).where('via', '=', digest).executeTakeFirst();
      await trx.insertInto('events').values(toEventRow(quarantineEvent('artifact.released', repository, digest,
        { children: Number(children.numDeletedRows) }, origin, now))).execute();
      return true;
    });
  }

  async quarantinesIn(repository: string): Promise<Map<string, Quarantine>> {
    const rows = await this.#quarantinesOf(repository);
    const found = new Map<string, Quarantine>();
    // '' sorts first: a digest quarantined itself keeps that reason over one it inherited from an index.
    for (const row of rows) if (!found.has(row.digest)) found.set(row.digest, toQuarantine(row));
    return found;
  }

  async manifestsUsing(repository: string, blobDigest: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('manifest_references as mr')
      .innerJoin('repository_manifests as rm', 'rm.digest', 'mr.manifest_digest')
      .select('mr.manifest_digest').where('rm.repository', '=', repository)
      .where('mr.child_digest', '=', blobDigest).where('mr.kind', '=', 'blob').execute();
    return rows.map((row) => row.manifest_digest);
  }

  async listQuarantines(project: string | undefined, limit: number): Promise<Quarantine[]> {
    let query = this.#db.selectFrom('quarantines').selectAll().orderBy('created_at', 'desc').orderBy('digest').limit(limit);
    if (project !== undefined) {
      // "<project>/" up to "<project>0" ('0' follows '/' in byte order): the project's repositories, by index range.
      query = query.where((eb) => eb.or([eb('repository', '=', project),
        eb.and([eb('repository', '>', `${project}/`), eb('repository', '<', `${project}0`)])]));
    }
    return (await query.execute()).map(toQuarantine);
  }

  async pullers(repository: string, digest: string): Promise<Puller[]> {
    const rows = await this.#db.selectFrom('audit_events')
      .select((eb) => ['actor', 'actor_kind', 'address', eb.fn.countAll<number>().as('count'),
        eb.fn.min('at').as('first'), eb.fn.max('at').as('last')])
      .where('digest', '=', digest).where('action', '=', 'pull').where('repository', '=', repository).where('outcome', '=', 'ok')
      .groupBy(['actor', 'actor_kind', 'address']).execute();
    const byActor = new Map<string, { actor: string; actorKind: string; count: number; firstPull: number; lastPull: number; seen: [string, number][] }>();
    for (const row of rows) {
      const key = `${row.actor_kind} ${row.actor}`;
      const first = Number(row.first);
      const last = Number(row.last);
      const entry = byActor.get(key) ?? { actor: row.actor, actorKind: row.actor_kind, count: 0, firstPull: first, lastPull: last, seen: [] };
      entry.count += Number(row.count);
      entry.firstPull = Math.min(entry.firstPull, first);
      entry.lastPull = Math.max(entry.lastPull, last);
      if (row.address !== null) entry.seen.push([row.address, last]);
      byActor.set(key, entry);
    }
    return [...byActor.values()]
      .map(({ seen, ...entry }) => ({ ...entry, addresses: seen.sort((a, b) => b[1] - a[1]).map(([address]) => address) }))
      .sort((a, b) => b.count - a.count || a.actor.localeCompare(b.actor));
  }
}

function toRule(row: Selectable<Database['immutable_tag_rules']>): ImmutableTagRule {
  return {
    id: Number(row.id), project: row.project, repositoryPattern: row.repository_pattern, tagPattern: row.tag_pattern,
    createdBy: row.created_by, createdAt: Number(row.created_at),
  };
}

function toQuarantine(row: Selectable<Database['quarantines']>): Quarantine {
  return {
    repository: row.repository, digest: row.digest, via: row.via === '' ? undefined : row.via, reason: row.reason,
    createdBy: row.created_by, createdAt: Number(row.created_at),
  };
}
