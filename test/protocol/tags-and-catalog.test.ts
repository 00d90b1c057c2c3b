import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  buildImage, expectError, nextLink, pushBlobs, pushManifest, putManifest, walkPages, type BuiltManifest,
} from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

/**
 * Tag listing with n/last pagination, and the catalog.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags
 * The catalog (`/v2/_catalog`) is not part of the OCI spec; it comes from the Docker Registry HTTP API V2, whose
 * pagination rules are the same as those of the tag list.
 */

// ASCIIbetical (Go's sort.Strings, JavaScript's default sort): digits < uppercase < "_" < lowercase.
const tags = ['v10', 'v2', 'V1', 'latest', 'a', 'b', 'c', '0.1', '_private', 'Z-last', 'b.1', 'b-1', 'b_1'];
const sorted = [...tags].sort();

interface TagList {
  name: string;
  tags: string[];
}

describe('tags/list and _catalog', () => {
  let registry: InProcessBerth;
  const repository = 'listing/app';

  before(async () => {
    registry = await startInProcess();
    const image = buildImage();
    await pushBlobs(registry.url, repository, image);
    // Pushed in an order unrelated to the sorted one.
    for (const tag of tags) {
      const response = await putManifest(registry.url, repository, tag, image);
      assert.equal(response.status, 201);
    }
  });
  after(async () => { await registry.close(); });

  const list = (query = '', name = repository): Promise<Response> => fetch(`${registry.url}/v2/${name}/tags/list${query}`);

  describe('tags/list', () => {
    it('lists every tag once, in lexical order, with the repository name', async () => {
      const response = await list();
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(response.headers.get('link'), null, 'no Link header when everything fits');
      const body = await response.json() as TagList;
      assert.equal(body.name, repository);
      // "the tags MUST be in lexical ... or "ASCIIbetical" (Go's sort.Strings) order"; Distribution uses sort.Strings.
      assert.deepEqual(body.tags, sorted);
    });

    it('answers the first n tags and a Link to the next page', async () => {
      const response = await list('?n=2');
      assert.equal(response.status, 200);
      const body = await response.json() as TagList;
      assert.deepEqual(body.tags, sorted.slice(0, 2));
      assert.equal(response.headers.get('link'), `</v2/${repository}/tags/list?n=2&last=${sorted[1]}>; rel="next"`);
    });

    it('answers the n tags after last, excluding last itself', async () => {
      const response = await list(`?n=3&last=${sorted[4]}`);
      const body = await response.json() as TagList;
      assert.deepEqual(body.tags, sorted.slice(5, 8));
      const next = new URL(nextLink(response.headers.get('link'))!, registry.url);
      assert.equal(next.pathname, `/v2/${repository}/tags/list`);
      assert.equal(next.searchParams.get('n'), '3');
      assert.equal(next.searchParams.get('last'), sorted[7]);
    });

    it('answers everything after last when n is left out', async () => {
      // "When using the last query parameter, the n parameter is OPTIONAL."
      const response = await list(`?last=${sorted[8]}`);
      assert.equal(response.status, 200);
      assert.deepEqual((await response.json() as TagList).tags, sorted.slice(9));
    });

    it('takes last values that are not tags of the repository and sorts from where they would be', async () => {
      const response = await list('?n=100&last=b0');
      assert.deepEqual((await response.json() as TagList).tags, sorted.filter((tag) => tag > 'b0'));
    });

    for (const n of [1, 2, 3, 5, 12]) {
      it(`walking the Link headers with n=${n} yields every tag exactly once, in order`, async () => {
        const { items, pages } = await walkPages(registry.url, `/v2/${repository}/tags/list?n=${n}`, 'tags');
        assert.deepEqual(items, sorted);
        assert.equal(pages, Math.max(1, Math.ceil(sorted.length / n)));
      });
    }

    it('answers an empty list and no Link for n=0', async () => {
      // "When n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link header."
      const response = await list('?n=0');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('link'), null);
      assert.deepEqual((await response.json() as TagList).tags, []);
      const withLast = await list('?n=0&last=a');
      assert.equal(withLast.headers.get('link'), null);
      assert.deepEqual((await withLast.json() as TagList).tags, []);
    });

    it('answers every tag and no Link when n is at or past the end', async () => {
      for (const n of [sorted.length, sorted.length + 1, 10_000]) {
        const response = await list(`?n=${n}`);
        assert.equal(response.headers.get('link'), null, `n=${n}`);
        assert.deepEqual((await response.json() as TagList).tags, sorted);
      }
    });

    it('answers an empty list and no Link when last is past the end', async () => {
      for (const query of ['?last=zzz', '?n=5&last=zzz', `?n=5&last=${sorted.at(-1)}`]) {
        const response = await list(query);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('link'), null, query);
        assert.deepEqual((await response.json() as TagList).tags, [], query);
      }
    });

    it('refuses an n that is not a whole number with 400 PAGINATION_NUMBER_INVALID', async () => {
      // Distribution's code for a bad n (strconv.Atoi fails, or n < 0).
      for (const n of ['-1', 'abc', '1.5', '2x', '0x10', '%20']) {
        await expectError(await list(`?n=${n}`), 400, 'PAGINATION_NUMBER_INVALID');
      }
    });

    it('answers 404 NAME_UNKNOWN for a repository that does not exist', async () => {
      await expectError(await list('', 'listing/nobody'), 404, 'NAME_UNKNOWN');
      await expectError(await list('?n=2', 'listing/nobody'), 404, 'NAME_UNKNOWN');
    });

    it('answers an empty list for a repository whose tags were all deleted', async () => {
      // "The list of tags MAY be empty if there are no tags on the repository."
      const other = 'listing/emptied';
      const image = buildImage();
      await pushManifest(registry.url, other, 'only', image);
      assert.equal((await fetch(`${registry.url}/v2/${other}/manifests/only`, { method: 'DELETE' })).status, 202);
      const response = await list('', other);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { name: other, tags: [] });
    });

    it('does not list manifests pushed by digest as tags', async () => {
      const other = 'listing/by-digest';
      const image = buildImage();
      await pushManifest(registry.url, other, image.digest, image);
      await pushManifest(registry.url, other, 'tagged', buildImage());
      assert.deepEqual((await (await list('', other)).json() as TagList).tags, ['tagged']);
    });

    it('cuts n to the configured page size and says so with a Link header', async () => {
      // "The response ... MAY return fewer than <int> results, but only when the total number of tags ... is less than
      // <int> or a Link header is provided." Distribution clamps to its MaxTags the same way.
      const capped = await startInProcess({ catalog: { maxPageSize: 4 } });
      try {
        const image = buildImage();
        await pushBlobs(capped.url, repository, image);
        for (const tag of tags) assert.equal((await putManifest(capped.url, repository, tag, image)).status, 201);
        const response = await fetch(`${capped.url}/v2/${repository}/tags/list?n=1000`);
        const body = await response.json() as TagList;
        assert.deepEqual(body.tags, sorted.slice(0, 4));
        assert.ok(nextLink(response.headers.get('link')), 'a short page must carry a Link header');
        const { items } = await walkPages(capped.url, `/v2/${repository}/tags/list?n=1000`, 'tags');
        assert.deepEqual(items, sorted);
        const unpaged = await walkPages(capped.url, `/v2/${repository}/tags/list`, 'tags');
        assert.deepEqual(unpaged.items, sorted);
      } finally {
        await capped.close();
      }
    });
  });

  describe('_catalog', () => {
    let catalogRegistry: InProcessBerth;
    // Nested names, in an order where plain string order and Distribution's walk of the storage tree agree.
    const repositories = ['alpha', 'alpha/beta', 'alpha/beta/gamma', 'beta', 'delta/x', 'delta/x/y/z', 'omega'];
    let image: BuiltManifest;

    before(async () => {
      catalogRegistry = await startInProcess();
      image = buildImage();
      for (const name of [...repositories].reverse()) await pushManifest(catalogRegistry.url, name, 'latest', image);
    });
    after(async () => { await catalogRegistry.close(); });

    const catalog = (query = ''): Promise<Response> => fetch(`${catalogRegistry.url}/v2/_catalog${query}`);

    it('lists every repository, nested names included, in lexical order', async () => {
      const response = await catalog();
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('link'), null);
      assert.deepEqual(await response.json(), { repositories });
    });

    it('answers n repositories and a Link to the next page', async () => {
      const response = await catalog('?n=2');
      assert.deepEqual((await response.json() as { repositories: string[] }).repositories, repositories.slice(0, 2));
      const next = new URL(nextLink(response.headers.get('link'))!, catalogRegistry.url);
      assert.equal(next.pathname, '/v2/_catalog');
      assert.equal(next.searchParams.get('n'), '2');
      assert.equal(next.searchParams.get('last'), 'alpha/beta');
    });

    for (const n of [1, 2, 3, 7]) {
      it(`walking the Link headers with n=${n} yields every repository exactly once, in order`, async () => {
        const { items } = await walkPages(catalogRegistry.url, `/v2/_catalog?n=${n}`, 'repositories');
        assert.deepEqual(items, repositories);
      });
    }

    it('answers the repositories after last, nested names as last included', async () => {
      const response = await catalog(`?n=10&last=${encodeURIComponent('alpha/beta/gamma')}`);
      assert.deepEqual((await response.json() as { repositories: string[] }).repositories, repositories.slice(3));
      assert.equal(response.headers.get('link'), null);
    });

    it('answers an empty list and no Link for n=0 and for last past the end', async () => {
      for (const query of ['?n=0', '?last=zzz', '?n=3&last=omega']) {
        const response = await catalog(query);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('link'), null, query);
        assert.deepEqual(await response.json(), { repositories: [] }, query);
      }
    });

    it('refuses an n that is not a whole number with 400 PAGINATION_NUMBER_INVALID', async () => {
      for (const n of ['-5', 'ten', '1e3']) {
        await expectError(await catalog(`?n=${n}`), 400, 'PAGINATION_NUMBER_INVALID');
      }
    });
  });
});
