import { RegistryError } from '../errors/registry-error.js';
import type { MetadataStore, Referrer } from '../metadata/metadata-store.js';
import { assertName, requireDigest } from './validate.js';
import { VersionedCache } from '../metadata/versioned-cache.js';

export interface Page {
  readonly items: string[];
  /** The last item, when more follow: the `last` of the next page's request. */
  readonly next: string | undefined;
  /** The page size used, for the next page's link. */
  readonly limit: number;
}

export interface PageLimits {
  readonly catalogDefault: number;
  readonly max: number;
}

/**
 * Tag lists, the catalog and the referrers API, answered from the metadata store with keyset pagination: each
 * request costs one indexed range scan of at most `n + 1` rows, however large the repository.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#content-discovery
 */
export class ListingService {
  /** Pages by request: CI systems poll tag lists; between writes a page costs no database read. */
  readonly #pages = new VersionedCache<Page>(32 * 1024 * 1024,
    (page) => 64 + page.items.reduce((sum, item) => sum + item.length + 16, 0), 'listing_pages');

  constructor(
    private readonly metadata: MetadataStore,
    private readonly limits: PageLimits,
  ) {}

  async tags(repository: string, n: string | undefined, last: string | undefined): Promise<Page> {
    assertName(repository);
    const limit = this.#pageSize(n, this.limits.max);
    return this.#cached(`t\n${repository}\n${limit}\n${last ?? ''}`, async () => {
      if (!(await this.metadata.repositoryExists(repository))) {
        throw new RegistryError('NAME_UNKNOWN', undefined, { name: repository });
      }
      if (limit === 0) return { items: [], next: undefined, limit };
      return toPage(await this.metadata.listTags(repository, last, limit + 1), limit);
    });
  }

  async catalog(n: string | undefined, last: string | undefined): Promise<Page> {
    const limit = this.#pageSize(n, this.limits.catalogDefault);
    return this.#cached(`c\n${limit}\n${last ?? ''}`, async () => {
      if (limit === 0) return { items: [], next: undefined, limit };
      return toPage(await this.metadata.listRepositories(last, limit + 1), limit);
    });
  }

  async #cached(key: string, read: () => Promise<Page>): Promise<Page> {
    return this.#pages.through(key, this.metadata.changeVersion(), read);
  }

  /** Manifests in the repository whose subject is `digest`; an empty list when none (never 404). */
  async referrers(repository: string, digestValue: string, artifactType: string | undefined): Promise<Referrer[]> {
    assertName(repository);
    const digest = requireDigest(digestValue).value;
    return this.metadata.referrers(repository, digest, artifactType === '' ? undefined : artifactType);
  }

  #pageSize(n: string | undefined, fallback: number): number {
    if (n === undefined || n === '') return Math.min(fallback, this.limits.max);
    if (!/^\d+$/.test(n)) {
      throw new RegistryError('PAGINATION_NUMBER_INVALID', `n="${n.slice(0, 50)}" is not a whole number: use n=0 or more`);
    }
    return Math.min(Number(n), this.limits.max);
  }
}

function toPage(rows: string[], limit: number): Page {
  if (rows.length <= limit) return { items: rows, next: undefined, limit };
  const items = rows.slice(0, limit);
  return { items, next: items.at(-1), limit };
}
