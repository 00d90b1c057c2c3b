import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { ArtifactFacts, ArtifactPlatform } from './artifact-facts.js';
import type { Database } from './database-schema.js';
import type {
  FactlessManifest, InsightStore, ProjectScope, ProjectUsage, PullFigures, PullRecord, RepositorySummary, SearchHits, StoredFacts, TagCursor,
  TagFilter, TagRow, TagSort,
} from './insight-store.js';
import { toJob } from './job-rows.js';
import { slices } from './slices.js';
import { insertFacts } from './kysely-fact-writes.js';
import type { Job, JobStatus } from './metadata-store.js';

type Write = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;
type TagQueryBuilder = ExpressionBuilder<Database & { t: Database['tags']; m: Database['manifests']; a: Database['artifacts'];
  ps: Database['pull_stats']; tp: Database['tag_pull_stats'] }, 't' | 'm' | 'a' | 'ps' | 'tp'>;

/** The insight store over Kysely, for every dialect; pull figures are written through the store's counted writes. */
export class KyselyInsightStore implements InsightStore {
  readonly #db: Kysely<Database>;
  readonly #write: Write;

  constructor(db: Kysely<Database>, write: Write) {
    this.#db = db;
    this.#write = write;
  }

  async facts(digests: readonly string[]): Promise<Map<string, StoredFacts>> {
    const facts = new Map<string, StoredFacts>();
    for (const slice of slices([...new Set(digests)])) {
      const rows = await this.#db.selectFrom('artifacts').selectAll().where('digest', 'in', slice).execute();
      for (const row of rows) {
        facts.set(row.digest, {
          digest: row.digest, os: row.os ?? undefined, architecture: row.architecture ?? undefined, variant: row.variant ?? undefined,
          created: optionalNumber(row.created), labels: parseLabels(row.labels), totalSize: Number(row.total_size),
        });
      }
    }
    return facts;
  }

  async tagRows(repository: string): Promise<TagRow[]> {
    const [rows, quarantined] = await Promise.all([
      this.#tagQuery().where('t.repository', '=', repository).orderBy('t.name').execute(),
      this.#db.selectFrom('quarantines').select('digest').where('repository', '=', repository).execute(),
    ]);
    const held = new Set(quarantined.map((row) => row.digest));
    return rows.map((row) => toTagRow(row, held));
  }

  async platforms(digests: readonly string[]): Promise<Map<string, ArtifactPlatform[]>> {
    const platforms = new Map<string, ArtifactPlatform[]>();
    for (const slice of slices([...new Set(digests)])) {
      const rows = await this.#db.selectFrom('artifact_platforms').selectAll().where('digest', 'in', slice)
        .orderBy('digest').orderBy('os').orderBy('architecture').orderBy('variant').orderBy('child_digest').execute();
      for (const row of rows) {
        const list = platforms.get(row.digest) ?? [];
        platforms.set(row.digest, list);
        list.push({ digest: row.child_digest, os: row.os, architecture: row.architecture, variant: row.variant });
      }
    }
    return platforms;
  }

  async queryTags(filter: TagFilter, sort: TagSort, after: TagCursor | undefined, limit: number): Promise<TagRow[]> {
    const sortValue = sortExpression(sort.by);
    const direction = sort.order === 'asc' ? sql`asc` : sql`desc`;
    const compare = sort.order === 'asc' ? sql`>` : sql`<`;
    let query = this.#tagQuery().where((eb) => eb.and(filterConditions(eb, filter)));
    if (after) {
      query = query.where(sortValue === undefined
        ? sql<SqlBool>`(t.repository, t.name) ${compare} (${after.repository}, ${after.tag})`
        : sql<SqlBool>`(${sortValue}, t.repository, t.name) ${compare} (${after.value ?? 0}, ${after.repository}, ${after.tag})`);
    }
    if (sortValue !== undefined) query = query.orderBy(sql`${sortValue} ${direction}`);
    const rows = await query.orderBy(sql`t.repository ${direction}`).orderBy(sql`t.name ${direction}`).limit(limit).execute();
    const repositories = [...new Set(rows.map((row) => row.repository))];
    const held = new Set<string>();
    for (const slice of slices(repositories)) {
      const quarantined = await this.#db.selectFrom('quarantines').select(['repository', 'digest']).where('repository', 'in', slice).execute();
      for (const row of quarantined) held.add(`${row.repository}@${row.digest}`);
    }
    return rows.map((row) => toTagRow(row, held, `${row.repository}@`));
  }

  async repositories(project: string, contains: string | undefined, after: string | undefined, limit: number): Promise<RepositorySummary[]> {
    let query = this.#db.selectFrom('repositories as r').select('r.name')
      .where((eb) => inProject(eb, 'r.name', project));
    if (contains !== undefined && contains !== '') query = query.where(sql<SqlBool>`lower(r.name) like ${likePattern(contains.toLowerCase())} escape '\\'`);
    if (after !== undefined) query = query.where('r.name', '>', after);
    const names = (await query.orderBy('r.name').limit(limit).execute()).map((row) => row.name);
    return this.#summaries(names);
  }

  async repository(name: string): Promise<RepositorySummary | undefined> {
    const exists = await this.#db.selectFrom('repositories').select('name').where('name', '=', name).executeTakeFirst();
    return exists ? (await this.#summaries([name]))[0] : undefined;
  }

  /** Figures of a page of repositories: one grouped query per figure over the page's names, not one per repository. */
  async #summaries(names: readonly string[]): Promise<RepositorySummary[]> {
    if (names.length === 0) return [];
    const db = this.#db;
    const list = [...names];
    const [created, tags, manifests, blobs, pulls] = await Promise.all([
      db.selectFrom('repositories').select(['name', 'created_at']).where('name', 'in', list).execute(),
      db.selectFrom('tags').select((eb) => ['repository', eb.fn.countAll().as('n'), eb.fn.max('updated_at').as('updated')])
        .where('repository', 'in', list).groupBy('repository').execute(),
      db.selectFrom('repository_manifests as rm').innerJoin('manifests as m', 'm.digest', 'rm.digest')
        .select((eb) => ['rm.repository', eb.fn.countAll().as('n'), eb.fn.sum('m.size').as('bytes')])
        .where('rm.repository', 'in', list).groupBy('rm.repository').execute(),
      db.selectFrom('repository_blobs as rb').innerJoin('blobs as b', 'b.digest', 'rb.digest')
        .select((eb) => ['rb.repository', eb.fn.sum('b.size').as('bytes')])
        .where('rb.repository', 'in', list).groupBy('rb.repository').execute(),
      db.selectFrom('pull_stats').select((eb) => ['repository', eb.fn.sum('pulls').as('pulls'), eb.fn.max('last_pulled_at').as('last')])
        .where('repository', 'in', list).groupBy('repository').execute(),
    ]);
    const tagsOf = new Map(tags.map((row) => [row.repository, row]));
    const manifestsOf = new Map(manifests.map((row) => [row.repository, row]));
    const blobsOf = new Map(blobs.map((row) => [row.repository, row]));
    const pullsOf = new Map(pulls.map((row) => [row.repository, row]));
    return created.sort((a, b) => compareText(a.name, b.name)).map((row) => ({
      name: row.name,
      tagCount: Number(tagsOf.get(row.name)?.n ?? 0),
      artifactCount: Number(manifestsOf.get(row.name)?.n ?? 0),
      storedBytes: Number(manifestsOf.get(row.name)?.bytes ?? 0) + Number(blobsOf.get(row.name)?.bytes ?? 0),
      pulls: Number(pullsOf.get(row.name)?.pulls ?? 0),
      lastPulledAt: optionalNumber(pullsOf.get(row.name)?.last),
      updatedAt: Math.max(Number(row.created_at), Number(tagsOf.get(row.name)?.updated ?? 0)),
    }));
  }

  async projectUsage(project: string): Promise<ProjectUsage> {
    const db = this.#db;
    const inIt = (eb: ExpressionBuilder<any, any>, column: string) => inProject(eb, column, project);
    const [counts, blobs, manifests, pulls] = await Promise.all([
      db.selectFrom('repositories as r').select((eb) => eb.fn.countAll().as('n')).where((eb) => inIt(eb, 'r.name')).executeTakeFirst(),
      db.selectFrom('repository_blobs as rb').innerJoin('blobs as b', 'b.digest', 'rb.digest')
        .select((eb) => eb.fn.sum('b.size').as('logical'))
        .where((eb) => inIt(eb, 'rb.repository')).executeTakeFirst(),
      db.selectFrom('repository_manifests as rm').innerJoin('manifests as m', 'm.digest', 'rm.digest')
        .select((eb) => eb.fn.sum('m.size').as('logical')).where((eb) => inIt(eb, 'rm.repository')).executeTakeFirst(),
      db.selectFrom('pull_stats').select((eb) => [eb.fn.sum('pulls').as('pulls'), eb.fn.max('last_pulled_at').as('last')])
        .where((eb) => inIt(eb, 'repository')).executeTakeFirst(),
    ]);
    // Each blob and manifest once, however many of the project's repositories link it.
    const [distinctBlobs, distinctManifests] = await Promise.all([
      db.selectFrom('blobs as b').select((eb) => eb.fn.sum('b.size').as('s'))
        .where('b.digest', 'in', db.selectFrom('repository_blobs as rb').select('rb.digest').where((eb) => inIt(eb, 'rb.repository')))
        .executeTakeFirst(),
      db.selectFrom('manifests as m').select((eb) => eb.fn.sum('m.size').as('s'))
        .where('m.digest', 'in', db.selectFrom('repository_manifests as rm').select('rm.digest').where((eb) => inIt(eb, 'rm.repository')))
        .executeTakeFirst(),
    ]);
    return {
      repositories: Number(counts?.n ?? 0),
      storedBytes: Number(distinctBlobs?.s ?? 0) + Number(distinctManifests?.s ?? 0),
      logicalBytes: Number(blobs?.logical ?? 0) + Number(manifests?.logical ?? 0),
      pulls: Number(pulls?.pulls ?? 0),
      lastPulledAt: optionalNumber(pulls?.last),
    };
  }

  async pushedAt(repository: string, digest: string): Promise<number | undefined> {
    const row = await this.#db.selectFrom('repository_manifests').select('created_at').where('repository', '=', repository).where('digest', '=', digest)
      .executeTakeFirst();
    return optionalNumber(row?.created_at);
  }

  async pullFigures(repository: string, digest: string): Promise<PullFigures> {
    const [own, tags] = await Promise.all([
      this.#db.selectFrom('pull_stats').select(['pulls', 'last_pulled_at']).where('repository', '=', repository).where('digest', '=', digest)
        .executeTakeFirst(),
      this.#db.selectFrom('tags as t').innerJoin('tag_pull_stats as tp', (join) => join.onRef('tp.repository', '=', 't.repository').onRef('tp.tag', '=', 't.name'))
        .select(['t.name', 'tp.pulls', 'tp.last_pulled_at']).where('t.repository', '=', repository).where('t.digest', '=', digest).execute(),
    ]);
    return {
      pulls: Number(own?.pulls ?? 0),
      lastPulledAt: optionalNumber(own?.last_pulled_at),
      tags: new Map(tags.map((row) => [row.name, { pulls: Number(row.pulls), lastPulledAt: Number(row.last_pulled_at) }])),
    };
  }

  async search(text: string, scope: ProjectScope, limit: number): Promise<SearchHits> {
    const pattern = likePattern(text.toLowerCase());
    const db = this.#db;
    const matchesLabel = sql<SqlBool>`(lower(p.key) like ${pattern} escape '\\' or lower(p.value) like ${pattern} escape '\\')`;
    const [repositories, tags, ownLabels, platformLabels] = await Promise.all([
      db.selectFrom('repositories as r').select('r.name')
        .where(sql<SqlBool>`lower(r.name) like ${pattern} escape '\\'`).where((eb) => inScope(eb, 'r.name', scope))
        .orderBy('r.name').limit(limit).execute(),
      db.selectFrom('tags as t').select(['t.repository', 't.name', 't.digest'])
        .where(sql<SqlBool>`lower(t.name) like ${pattern} escape '\\'`).where((eb) => inScope(eb, 't.repository', scope))
        .orderBy('t.repository').orderBy('t.name').limit(limit).execute(),
      // Labels of the tagged manifest itself...
      db.selectFrom('artifact_properties as p').innerJoin('tags as t', 't.digest', 'p.digest')
        .select(['t.repository', 't.name', 't.digest', 'p.key', 'p.value'])
        .where('p.source', '=', 'label').where(matchesLabel).where((eb) => inScope(eb, 't.repository', scope))
        .orderBy('t.repository').orderBy('t.name').orderBy('p.key').limit(limit).execute(),
      // ...and of the platforms of a tagged index.
      db.selectFrom('artifact_properties as p')
        .innerJoin('artifact_platforms as ap', 'ap.child_digest', 'p.digest')
        .innerJoin('tags as t', 't.digest', 'ap.digest')
        .select(['t.repository', 't.name', 't.digest', 'p.key', 'p.value'])
        .where('p.source', '=', 'label').whereRef('ap.child_digest', '<>', 'ap.digest').where(matchesLabel)
        .where((eb) => inScope(eb, 't.repository', scope))
        .orderBy('t.repository').orderBy('t.name').orderBy('p.key').limit(limit).execute(),
    ]);
    const labels = new Map<string, SearchHits['labels'][number]>();
    for (const row of [...ownLabels, ...platformLabels]) {
      labels.set(`${row.repository}\n${row.name}\n${row.key}\n${row.value}`,
        { repository: row.repository, tag: row.name, digest: row.digest, key: row.key, value: row.value });
    }
    return {
      repositories: repositories.map((row) => row.name),
      tags: tags.map((row) => ({ repository: row.repository, tag: row.name, digest: row.digest })),
      labels: [...labels.values()].sort((a, b) => compareText(a.repository, b.repository) || compareText(a.tag, b.tag) || compareText(a.key, b.key))
        .slice(0, limit),
    };
  }

  async recordPulls(pulls: readonly PullRecord[]): Promise<void> {
    if (pulls.length === 0) return;
    await this.#write(async (trx) => {
      const counted = await countedThrough(trx);
      const fresh = pulls.filter((pull) => pull.id > counted);
      if (fresh.length === 0) return;
      const { byDigest, byTag } = tally(fresh);
      await addPulls(trx, 'pull_stats', 'digest', byDigest);
      await addPulls(trx, 'tag_pull_stats', 'tag', byTag);
      await countThrough(trx, Math.max(...fresh.map((pull) => pull.id)));
    });
  }

  async forgetPulls(repository: string, what: { digest: string } | { tag: string }, eventId: number): Promise<void> {
    await this.#write(async (trx) => {
      if (eventId <= await countedThrough(trx)) return;
      await countThrough(trx, eventId);
      if ('digest' in what) {
        await trx.deleteFrom('pull_stats').where('repository', '=', repository).where('digest', '=', what.digest).execute();
      } else {
        await trx.deleteFrom('tag_pull_stats').where('repository', '=', repository).where('tag', '=', what.tag).execute();
      }
    });
  }

  async manifestsWithoutFacts(after: string | undefined, limit: number): Promise<FactlessManifest[]> {
    let query = this.#db.selectFrom('manifests as m').leftJoin('artifacts as a', 'a.digest', 'm.digest')
      .select(['m.digest', 'm.media_type', 'm.content']).where('a.digest', 'is', null);
    if (after !== undefined) query = query.where('m.digest', '>', after);
    const rows = await query.orderBy('m.digest').limit(limit).execute();
    return rows.map((row) => ({ digest: row.digest, mediaType: row.media_type, content: Buffer.from(row.content) }));
  }

  async saveFacts(digest: string, facts: ArtifactFacts, annotations: Readonly<Record<string, string>> | undefined): Promise<void> {
    await this.#write((trx) => insertFacts(trx, digest, facts, annotations));
  }

  async jobs(filter: { status?: JobStatus | undefined; kind?: string | undefined }, after: number | undefined, limit: number): Promise<Job[]> {
    let query = this.#db.selectFrom('jobs').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
    if (after !== undefined) query = query.where('id', '<', after);
    return (await query.orderBy('id', 'desc').limit(limit).execute()).map(toJob);
  }

  #tagQuery() {
    return this.#db.selectFrom('tags as t')
      .innerJoin('manifests as m', 'm.digest', 't.digest')
      .leftJoin('artifacts as a', 'a.digest', 't.digest')
      .leftJoin('pull_stats as ps', (join) => join.onRef('ps.repository', '=', 't.repository').onRef('ps.digest', '=', 't.digest'))
      .leftJoin('tag_pull_stats as tp', (join) => join.onRef('tp.repository', '=', 't.repository').onRef('tp.tag', '=', 't.name'))
      .select([
        't.repository', 't.name', 't.digest', 't.updated_at', 'm.media_type', 'm.artifact_type', 'm.size', 'a.total_size', 'a.created',
        'a.labels', 'ps.pulls', 'ps.last_pulled_at', 'tp.pulls as tag_pulls',
      ]);
  }
}

/** Adds tallied pulls to one of the figure tables (per digest or per tag), keeping the later last-pull time. */
async function addPulls(trx: Transaction<Database>, table: 'pull_stats' | 'tag_pull_stats', key: 'digest' | 'tag', tallies: readonly Tally[]): Promise<void> {
  const target = sql.table(table);
  for (const slice of slices(tallies, 200)) {
    // One table or the other, with the same columns but the key's name: typed here as the digest table.
    await trx.insertInto(table as 'pull_stats')
      .values(slice.map((entry) => ({ repository: entry.repository, [key]: entry.key, pulls: entry.pulls, last_pulled_at: entry.last }) as Database['pull_stats']))
      .onConflict((oc) => oc.columns(['repository', key as 'digest']).doUpdateSet({
        pulls: sql`${target}.pulls + excluded.pulls`,
        last_pulled_at: sql`case when excluded.last_pulled_at > ${target}.last_pulled_at then excluded.last_pulled_at else ${target}.last_pulled_at end`,
      })).execute();
  }
}

/** The last outbox event the pull figures hold. */
async function countedThrough(trx: Transaction<Database>): Promise<number> {
  const row = await trx.selectFrom('pull_stats_position').select('event_id').where('name', '=', 'pulls').executeTakeFirst();
  return Number(row?.event_id ?? 0);
}

async function countThrough(trx: Transaction<Database>, eventId: number): Promise<void> {
  await trx.insertInto('pull_stats_position').values({ name: 'pulls', event_id: eventId })
    .onConflict((oc) => oc.column('name').doUpdateSet({ event_id: eventId })).execute();
}

interface Tally { repository: string; key: string; pulls: number; last: number }

/** Pulls summed per repository and digest, and per repository and tag (pulls by digest have no tag). */
function tally(pulls: readonly PullRecord[]): { byDigest: Tally[]; byTag: Tally[] } {
  const byDigest = new Map<string, Tally>();
  const byTag = new Map<string, Tally>();
  const add = (map: Map<string, Tally>, repository: string, key: string, at: number) => {
    const id = `${repository}\n${key}`;
    const entry = map.get(id) ?? { repository, key, pulls: 0, last: 0 };
    entry.pulls++;
    entry.last = Math.max(entry.last, at);
    map.set(id, entry);
  };
  for (const pull of pulls) {
    add(byDigest, pull.repository, pull.digest, pull.at);
    if (pull.tag !== undefined) add(byTag, pull.repository, pull.tag, pull.at);
  }
  return { byDigest: [...byDigest.values()], byTag: [...byTag.values()] };
}

interface TagQueryRow {
  repository: string; name: string; digest: string; updated_at: number; media_type: string; artifact_type: string | null;
  size: number; total_size: number | null; created: number | null; labels: string | null; pulls: number | null;
  last_pulled_at: number | null; tag_pulls: number | null;
}

function toTagRow(row: TagQueryRow, quarantined: ReadonlySet<string>, keyPrefix = ''): TagRow {
  return {
    repository: row.repository,
    tag: row.name,
    digest: row.digest,
    mediaType: row.media_type,
    artifactType: row.artifact_type ?? undefined,
    size: Number(row.total_size ?? row.size),
    pushedAt: Number(row.updated_at),
    created: optionalNumber(row.created),
    labels: parseLabels(row.labels),
    pulls: Number(row.pulls ?? 0),
    lastPulledAt: optionalNumber(row.last_pulled_at),
    tagPulls: Number(row.tag_pulls ?? 0),
    quarantined: quarantined.has(`${keyPrefix}${row.digest}`),
  };
}

/** The SQL value a sort orders by (undefined: by name only); rows without it sort as 0 or -1, never as NULL. */
function sortExpression(by: TagSort['by']): Expression<number> | undefined {
  switch (by) {
    case 'name': return undefined;
    case 'pushed': return sql<number>`t.updated_at`;
    case 'size': return sql<number>`coalesce(a.total_size, m.size)`;
    case 'pulled': return sql<number>`coalesce(ps.last_pulled_at, 0)`;
  }
}

function filterConditions(eb: TagQueryBuilder, filter: TagFilter): Expression<SqlBool>[] {
  const conditions: Expression<SqlBool>[] = [inScope(eb, 't.repository', filter.scope)];
  if (filter.project !== undefined) conditions.push(inProject(eb, 't.repository', filter.project));
  if (filter.repositoryPrefix) {
    conditions.push(eb.and([eb('t.repository', '>=', filter.repositoryPrefix), eb('t.repository', '<', prefixEnd(filter.repositoryPrefix))]));
  }
  for (const [source, properties] of [['label', filter.labels], ['annotation', filter.annotations]] as const) {
    for (const property of properties) {
      let own = eb.selectFrom('artifact_properties as p').select(sql`1`.as('one'))
        .whereRef('p.digest', '=', 't.digest').where('p.source', '=', source).where('p.key', '=', property.key);
      if (property.value !== undefined) own = own.where('p.value', '=', property.value);
      if (source === 'annotation') {
        conditions.push(eb.exists(own));
        continue;
      }
      // A label of any platform of an index is a label of the index. Two EXISTS, each led by the tag's digest, so
      // that both are index lookups per row (an OR inside one subquery made SQLite scan every artifact with the label).
      let platforms = eb.selectFrom('artifact_platforms as ap').innerJoin('artifact_properties as p', 'p.digest', 'ap.child_digest')
        .select(sql`1`.as('one')).whereRef('ap.digest', '=', 't.digest').where('p.source', '=', source).where('p.key', '=', property.key);
      if (property.value !== undefined) platforms = platforms.where('p.value', '=', property.value);
      conditions.push(eb.or([eb.exists(own), eb.exists(platforms)]));
    }
  }
  if (filter.platform) {
    let exists = eb.selectFrom('artifact_platforms as ap').select(sql`1`.as('one')).whereRef('ap.digest', '=', 't.digest')
      .where('ap.os', '=', filter.platform.os).where('ap.architecture', '=', filter.platform.architecture);
    if (filter.platform.variant !== undefined) exists = exists.where('ap.variant', '=', filter.platform.variant);
    conditions.push(eb.exists(exists));
  }
  if (filter.mediaType !== undefined) conditions.push(eb('m.media_type', '=', filter.mediaType));
  if (filter.artifactType !== undefined) conditions.push(eb('m.artifact_type', '=', filter.artifactType));
  if (filter.pushedAfter !== undefined) conditions.push(eb('t.updated_at', '>=', filter.pushedAfter));
  if (filter.pushedBefore !== undefined) conditions.push(eb('t.updated_at', '<', filter.pushedBefore));
  if (filter.pulledAfter !== undefined) conditions.push(eb('ps.last_pulled_at', '>=', filter.pulledAfter));
  if (filter.pulledBefore !== undefined) conditions.push(sql<SqlBool>`coalesce(ps.last_pulled_at, 0) < ${filter.pulledBefore}`);
  if (filter.minSize !== undefined) conditions.push(sql<SqlBool>`coalesce(a.total_size, m.size) >= ${filter.minSize}`);
  if (filter.maxSize !== undefined) conditions.push(sql<SqlBool>`coalesce(a.total_size, m.size) <= ${filter.maxSize}`);
  return conditions;
}

/** A repository column in one of the projects of a scope. */
function inScope(eb: ExpressionBuilder<any, any>, column: string, scope: ProjectScope): Expression<SqlBool> {
  if (scope === 'all') return sql<SqlBool>`1 = 1`;
  if (scope.length === 0) return sql<SqlBool>`1 = 0`;
  return eb.or(scope.map((project) => inProject(eb, column, project)));
}

/** A repository column naming the project itself or a repository under it (`project/...`): a range, so an index serves it. */
function inProject(eb: ExpressionBuilder<any, any>, column: string, project: string): Expression<SqlBool> {
  return eb.or([eb(eb.ref(column), '=', project), eb.and([eb(eb.ref(column), '>=', `${project}/`), eb(eb.ref(column), '<', `${project}0`)])]);
}

/** The smallest string greater than every string that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** A LIKE pattern for "contains", with LIKE's own characters escaped. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseLabels(json: string | null): Record<string, string> {
  if (json === null) return {};
  try {
    const value = JSON.parse(json) as unknown;
    return typeof value === 'object' && value !== null ? value as Record<string, string> : {};
  } catch {
    return {};
  }
}

function optionalNumber(value: number | string | bigint | null | undefined): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}
