import type { Principal } from '../auth/principal.js';
import { projectOf } from '../auth/roles.js';
import { RegistryError } from '../errors/registry-error.js';
import type { ArtifactPlatform } from '../metadata/artifact-facts.js';
import type {
  InsightStore, ProjectScope, ProjectUsage, RepositorySummary, SearchHits, TagCursor, TagFilter, TagRow, TagSort,
} from '../metadata/insight-store.js';
import type { Job, JobStatus } from '../metadata/metadata-store.js';
import { VersionedCache } from '../metadata/versioned-cache.js';
import { globMatcher } from '../registry/glob.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { pickLatest, type LatestRequest } from './latest.js';
import type { ProjectScopes } from './project-scope.js';
import type { SemVer } from 'semver';
import { byName, compareTagVersions, tagVersion } from './version-order.js';

/** A tag with what the lists show of its artifact. */
export interface TagView extends TagRow {
  readonly platforms: readonly ArtifactPlatform[];
}

export interface Page<T> {
  readonly items: T[];
  /** The cursor for the next page; undefined on the last one. */
  readonly next: string | undefined;
}

export type TagListSort = 'name' | 'version' | 'pushed' | 'pulled';

export interface TagListRequest {
  readonly sort: TagListSort;
  readonly order: 'asc' | 'desc';
  readonly pattern: string | undefined;
  readonly after: string | undefined;
  readonly limit: number;
}

export interface ArtifactQuery extends Omit<TagFilter, 'scope' | 'repositoryPrefix'> {
  /** Glob over repository names (`team/**`) and tags (`v1.*`), matched with globMatcher: linear, no backtracking. */
  readonly repositoryPattern?: string | undefined;
  readonly tagPattern?: string | undefined;
  readonly sort: TagSort;
  readonly after: string | undefined;
  readonly limit: number;
}

export interface LatestAnswer {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly by: LatestRequest['by'];
  readonly version?: string | undefined;
  /** With a platform asked for: the manifest of that platform (the index's child, or the image itself). */
  readonly platformDigest?: string | undefined;
  readonly pushedAt: number;
  readonly created: number | undefined;
}

/** Rows a query reads per batch, and at most per request: a query matching few rows answers a short page, never runs on. */
const scanBatch = 500;
const scanMax = 20_000;

/** A repository's tags as the store answers them, with their platforms, for one change version. */
interface RepositoryTags {
  readonly rows: readonly TagRow[];
  readonly platforms: ReadonlyMap<string, readonly ArtifactPlatform[]>;
  readonly sorted: Map<string, readonly TagRow[]>;
  /** Each tag's version, parsed once: a sort compares each tag many times. */
  readonly versionOf: (tag: string) => SemVer | undefined;
}

/**
 * What the query API, "latest", the usage figures and the UI's lists answer. Reads only what the store keeps for
 * them (never a manifest or config blob), within the projects the caller may pull from. A repository's tags are
 * held in memory for one change version of the store, so every list, sort and "latest" between two writes is
 * answered from the same rows: the same answer on every call (and, since every node reads the same database, on
 * every node) until a push, delete or pull changes it.
 */
export class InsightService {
  readonly #tags = new VersionedCache<RepositoryTags>(200_000, (entry) => 1 + entry.rows.length, 'repository_tags');
  /**
   * Answers (tag pages, "latest", repository pages) for one change version, keyed by what was asked: the same
   * object for the same question, which the HTTP layer also serialises only once. Who may ask is checked before.
   */
  readonly #results = new VersionedCache<object>(100_000, (result) => 1 + ('items' in result ? (result.items as unknown[]).length : 0), 'insight_results');

  constructor(
    private readonly insight: () => InsightStore,
    private readonly scopes: ProjectScopes,
    private readonly changeVersion: () => number,
  ) {}

  async tags(principal: Principal, repository: string, request: TagListRequest): Promise<Page<TagView>> {
    await this.#requireReadable(principal, repository);
    const key = `tags\n${repository}\n${request.sort}\n${request.order}\n${request.pattern ?? ''}\n${request.after ?? ''}\n${request.limit}`;
    return this.#results.through(key, this.changeVersion(), () => this.#tagPage(repository, request)) as Page<TagView> | Promise<Page<TagView>>;
  }

  async #tagPage(repository: string, request: TagListRequest): Promise<Page<TagView>> {
    const entry = await this.#repositoryTags(repository);
    // As /v2/'s tags/list: a repository that is not there is no empty list (one whose tags were all deleted is).
    if (entry.rows.length === 0 && !(await this.insight().repository(repository))) throw noRepository(repository);
    let rows = this.#sorted(entry, request.sort, request.order);
    if (request.pattern !== undefined) {
      const matches = globMatcher(request.pattern);
      rows = rows.filter((row) => matches(row.tag));
    }
    const compare = tagComparator(request.sort, request.order, entry.versionOf);
    let start = 0;
    if (request.after !== undefined) {
      const cursor = decodeCursor(request.after, 'tag list');
      const probe = { tag: cursor.tag, pushedAt: cursor.value ?? 0, lastPulledAt: cursor.value ?? 0 } as TagRow;
      start = firstAfter(rows, (row) => compare(row, probe) > 0);
    }
    const items = rows.slice(start, start + request.limit).map((row) => ({ ...row, platforms: entry.platforms.get(row.digest) ?? [] }));
    const last = items[items.length - 1];
    const more = start + request.limit < rows.length;
    return {
      items,
      next: more && last ? encodeCursor({ repository, tag: last.tag, value: request.sort === 'pushed' ? last.pushedAt : request.sort === 'pulled' ? (last.lastPulledAt ?? 0) : undefined }) : undefined,
    };
  }

  async query(principal: Principal, query: ArtifactQuery): Promise<Page<TagView>> {
    const scope = await this.scopes.of(principal);
    const key = `query\n${scope === 'all' ? '*' : scope.join('/')}\n${JSON.stringify(query)}`;
    return this.#results.through(key, this.changeVersion(), () => this.#query(scope, query)) as Page<TagView> | Promise<Page<TagView>>;
  }

  async #query(scope: ProjectScope, query: ArtifactQuery): Promise<Page<TagView>> {
    const repositoryMatches = query.repositoryPattern === undefined ? undefined : globMatcher(query.repositoryPattern);
    const tagMatches = query.tagPattern === undefined ? undefined : globMatcher(query.tagPattern);
    const filter: TagFilter = { ...query, scope, repositoryPrefix: literalHead(query.repositoryPattern) };
    let cursor: TagCursor | undefined = query.after === undefined ? undefined : decodeCursor(query.after, 'query');
    const items: TagRow[] = [];
    let scanned = 0;
    let exhausted = false;
    while (items.length < query.limit && scanned < scanMax) {
      // A first batch just big enough for the page; later ones (patterns left rows out) larger.
      const size = scanned === 0 ? query.limit + 1 : scanBatch;
      const rows = await this.insight().queryTags(filter, query.sort, cursor, size);
      let read = 0;
      for (const row of rows) {
        read++;
        cursor = { repository: row.repository, tag: row.tag, value: sortValueOf(row, query.sort.by) };
        if ((repositoryMatches && !repositoryMatches(row.repository)) || (tagMatches && !tagMatches(row.tag))) continue;
        items.push(row);
        if (items.length === query.limit) break;
      }
      scanned += read;
      // The store ran out of rows and every one of them was looked at: there is no next page.
      if (rows.length < size && read === rows.length) {
        exhausted = true;
        break;
      }
    }
    const platforms = await this.insight().platforms(items.map((row) => row.digest));
    return {
      items: items.map((row) => ({ ...row, platforms: platforms.get(row.digest) ?? [] })),
      // A page cut short by the scan limit still names where to go on; only the end of the rows ends the list.
      next: exhausted || cursor === undefined ? undefined : encodeCursor(cursor),
    };
  }

  async latest(principal: Principal, repository: string, request: LatestRequest): Promise<LatestAnswer> {
    await this.#requireReadable(principal, repository);
    const platform = request.platform ? `${request.platform.os}/${request.platform.architecture}/${request.platform.variant ?? ''}` : '';
    const key = `latest\n${repository}\n${request.by}\n${platform}\n${request.range?.raw ?? ''}\n${request.prerelease ? 1 : 0}`;
    return this.#results.through(key, this.changeVersion(), () => this.#latest(repository, request)) as LatestAnswer | Promise<LatestAnswer>;
  }

  async #latest(repository: string, request: LatestRequest): Promise<LatestAnswer> {
    const entry = await this.#repositoryTags(repository);
    const found = pickLatest(entry.rows, entry.platforms, request, entry.versionOf);
    if (!found && entry.rows.length === 0 && !(await this.insight().repository(repository))) throw noRepository(repository);
    if (!found) {
      throw new RegistryError('NOT_FOUND', `${repository} has no tag that answers "latest" by ${request.by}${describeLatest(request)}: ${latestHint(request)}`,
        { repository, by: request.by });
    }
    return {
      repository, tag: found.row.tag, digest: found.row.digest, by: request.by, version: found.version, platformDigest: found.platformDigest,
      pushedAt: found.row.pushedAt, created: found.row.created,
    };
  }

  async repositories(principal: Principal, project: string, contains: string | undefined, after: string | undefined, limit: number): Promise<Page<RepositorySummary>> {
    await this.#requireProject(principal, project);
    const key = `repositories\n${project}\n${contains ?? ''}\n${after ?? ''}\n${limit}`;
    return this.#results.through(key, this.changeVersion(), async () => {
      const rows = await this.insight().repositories(project, contains, after, limit + 1);
      const items = rows.slice(0, limit);
      return { items, next: rows.length > limit ? items[items.length - 1]!.name : undefined };
    }) as Page<RepositorySummary> | Promise<Page<RepositorySummary>>;
  }

  async repository(principal: Principal, name: string): Promise<RepositorySummary> {
    await this.#requireReadable(principal, name);
    const summary = await this.insight().repository(name);
    if (!summary) throw noRepository(name);
    return summary;
  }

  async usage(principal: Principal, project: string): Promise<ProjectUsage> {
    await this.#requireProject(principal, project);
    const usage = await this.insight().projectUsage(project);
    // Callers who see every project learn of a missing one as others do: it is not there.
    if (usage.repositories === 0 && !(await this.scopes.projectExists(project))) throw noProject(project);
    return usage;
  }

  async search(principal: Principal, text: string, limit: number): Promise<SearchHits> {
    return this.insight().search(text, await this.scopes.of(principal), limit);
  }

  async jobs(filter: { status?: JobStatus | undefined; kind?: string | undefined }, after: number | undefined, limit: number): Promise<Page<Job>> {
    const rows = await this.insight().jobs(filter, after, limit + 1);
    const items = rows.slice(0, limit);
    return { items, next: rows.length > limit ? String(items[items.length - 1]!.id) : undefined };
  }

  /** Refuses a repository the caller may not pull from as if it did not exist, as a private project is answered. */
  async #requireReadable(principal: Principal, repository: string): Promise<void> {
    if (!(await this.scopes.mayRead(principal, repository))) throw noRepository(repository);
  }

  async #requireProject(principal: Principal, project: string): Promise<void> {
    const scope = await this.scopes.of(principal);
    if (scope !== 'all' && !scope.includes(project)) {
      throw noProject(project);
    }
  }

  async #repositoryTags(repository: string): Promise<RepositoryTags> {
    return this.#tags.through(repository, this.changeVersion(), async () => {
      const rows = await this.insight().tagRows(repository);
      const platforms = await this.insight().platforms(rows.map((row) => row.digest));
      const versions = new Map(rows.map((row) => [row.tag, tagVersion(row.tag)]));
      return { rows, platforms, sorted: new Map(), versionOf: (tag) => (versions.has(tag) ? versions.get(tag) : tagVersion(tag)) };
    });
  }

  #sorted(entry: RepositoryTags, sort: TagListSort, order: 'asc' | 'desc'): readonly TagRow[] {
    const key = `${sort} ${order}`;
    let rows = entry.sorted.get(key);
    if (!rows) {
      rows = [...entry.rows].sort(tagComparator(sort, order, entry.versionOf));
      entry.sorted.set(key, rows);
    }
    return rows;
  }
}

/**
 * The order of a repository's tag list. Version order is semver's, tags without a version after all versions (in
 * both directions); ties go by name, so the order is total and a cursor (the last row's sort value and name) finds
 * its place again between requests.
 */
function tagComparator(sort: TagListSort, order: 'asc' | 'desc', versionOf: (tag: string) => SemVer | undefined): (a: TagRow, b: TagRow) => number {
  const sign = order === 'asc' ? 1 : -1;
  switch (sort) {
    case 'name': return (a, b) => sign * byName(a.tag, b.tag);
    case 'version': return (a, b) => {
      const va = versionOf(a.tag);
      const vb = versionOf(b.tag);
      if (va && vb) return sign * compareTagVersions(a.tag, b.tag, versionOf);
      if (va) return -1;
      if (vb) return 1;
      return sign * byName(a.tag, b.tag);
    };
    case 'pushed': return (a, b) => sign * (a.pushedAt - b.pushedAt || byName(a.tag, b.tag));
    case 'pulled': return (a, b) => sign * ((a.lastPulledAt ?? 0) - (b.lastPulledAt ?? 0) || byName(a.tag, b.tag));
  }
}

/** The index of the first row for which `after` holds, in rows sorted so that it holds for a suffix. */
function firstAfter<T>(rows: readonly T[], after: (row: T) => boolean): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (after(rows[middle]!)) high = middle;
    else low = middle + 1;
  }
  return low;
}

function sortValueOf(row: TagRow, by: TagSort['by']): number | undefined {
  switch (by) {
    case 'name': return undefined;
    case 'pushed': return row.pushedAt;
    case 'size': return row.size;
    case 'pulled': return row.lastPulledAt ?? 0;
  }
}

/** The part of a glob before its first wildcard, which narrows the scan to a range of names. */
function literalHead(pattern: string | undefined): string | undefined {
  if (pattern === undefined) return undefined;
  const wildcard = pattern.search(/[*?]/);
  const head = wildcard === -1 ? pattern : pattern.slice(0, wildcard);
  return head === '' ? undefined : head;
}

function noProject(project: string): RegistryError {
  return new RegistryError('NOT_FOUND', `there is no project "${project.slice(0, 255)}" you may see: check the name, or sign in`, { project });
}

function noRepository(repository: string): RegistryError {
  return new RegistryError('NAME_UNKNOWN', `there is no repository "${repository.slice(0, 255)}" you may see: check the name, or sign in`,
    { repository, project: projectOf(repository) });
}

function describeLatest(request: LatestRequest): string {
  const parts = [];
  if (request.platform) parts.push(` for ${request.platform.os}/${request.platform.architecture}${request.platform.variant ? `/${request.platform.variant}` : ''}`);
  if (request.range) parts.push(` in the range ${request.range}`);
  return parts.join('');
}

function latestHint(request: LatestRequest): string {
  switch (request.by) {
    case 'semver': return request.prerelease
      ? 'its tags are no semantic versions (1.2.3 or v1.2.3); try --by pushed'
      : 'its tags are no released semantic versions (1.2.3 or v1.2.3; pre-releases count only when asked for); try --by pushed';
    case 'created': return 'its images carry no created time in their config; try --by pushed';
    case 'pushed': return 'it has no tags';
  }
}
