import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerthCli } from '../support/berth-cli.js';
import { ApiClient, expectStatus, type ApiResponse } from '../support/api-client.js';
import { buildImage, pushManifest, type BuiltManifest } from '../support/image-builder.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { compareTagVersions } from '../../src/insight/version-order.js';

const repository = 'team/many';
const tagCount = 10_000;
/** v1.0.0 … v1.99.99: versions whose name order and version order differ (v1.10.0 sorts before v1.9.0 by name). */
const seededTags = Array.from({ length: tagCount }, (_, i) => `v1.${Math.floor(i / 100)}.${i % 100}`);

/**
 * Keyset pagination over 10,000 tags of one repository while a writer adds tags in the middle of every order: no
 * page repeats a row, and every tag that existed before paging began is listed exactly once.
 */
describe('insight API: keyset pages over 10,000 tags with a concurrent writer', () => {
  let registry: InProcessBerth;
  let api: ApiClient;
  let manifest: BuiltManifest;
  /** Every tag the writers added, over all the walks: a walk lists those of earlier walks too. */
  const everWritten = new Set<string>();
  let walks = 0;

  /** Points `tags` at the manifest in one PUT, with the spec's ?tag= parameters. */
  const tagManifest = async (tags: readonly string[]): Promise<void> => {
    const query = tags.slice(1).map((tag) => `tag=${tag}`).join('&');
    const response = await fetch(`${registry.url}/v2/${repository}/manifests/${tags[0]}?${query}`, {
      method: 'PUT', headers: { 'content-type': manifest.mediaType }, body: new Uint8Array(manifest.bytes),
    });
    assert.equal(response.status, 201, await response.text());
  };

  before(async () => {
    registry = await startInProcess();
    api = new ApiClient(registry.url, undefined);
    manifest = buildImage();
    await pushManifest(registry.url, repository, 'seed', manifest);
    for (let i = 0; i < tagCount; i += 250) await tagManifest(seededTags.slice(i, i + 250));
  });
  after(async () => { await registry.close(); });

  /**
   * Walks a list page by page through its Link headers while a writer keeps adding tags named to land inside the
   * order (`v1.<a>.<b>-w<n>` sorts just after `v1.<a>.<b>` by name and just before it by version); answers the rows
   * seen and the tags written meanwhile.
   */
  async function walkWhileWriting(firstPage: string): Promise<{ seen: string[]; written: string[]; pages: number }> {
    const written: string[] = [];
    const walk = ++walks;
    let paging = true;
    const writer = (async () => {
      for (let n = 0; paging; n++) {
        const batch = [0, 1, 2].map((k) => `v1.${(n * 7 + k * 31) % 100}.${(n * 13) % 100}-w${walk}.${n}`);
        await tagManifest(batch);
        written.push(...batch);
        for (const tag of batch) everWritten.add(tag);
      }
    })();
    const seen: string[] = [];
    let next: string | undefined = firstPage;
    let pages = 0;
    try {
      while (next !== undefined) {
        const response: ApiResponse = expectStatus(await api.get(next), 200);
        const body = response.body as { items: { repository: string; tag: string }[]; next: string | null };
        seen.push(...body.items.filter((row) => row.repository === repository).map((row) => row.tag));
        pages++;
        const link: string | null = response.headers.get('link');
        assert.equal(link === null, body.next === null);
        next = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)![1];
        assert.ok(pages < 200, 'paging ends');
      }
    } finally {
      paging = false;
      await writer;
    }
    return { seen, written, pages };
  }

  const assertComplete = (seen: readonly string[], written: readonly string[], what: string): void => {
    assert.equal(new Set(seen).size, seen.length, `${what}: no tag is listed twice`);
    const listed = new Set(seen);
    const missing = [...seededTags, 'seed'].filter((tag) => !listed.has(tag));
    assert.deepEqual(missing.slice(0, 10), [], `${what}: every tag that existed before paging began is listed (${missing.length} missing)`);
    assert.ok(written.length > 0, `${what}: the writer added tags while paging went on`);
    const allowed = new Set([...seededTags, 'seed', ...everWritten]);
    assert.deepEqual(seen.filter((tag) => !allowed.has(tag)), [], `${what}: nothing but real tags`);
  };

  it('GET /api/v1/tags sorted by name', async () => {
    const { seen, written, pages } = await walkWhileWriting(`/api/v1/tags?repository=${repository}&sort=name&n=500`);
    assertComplete(seen, written, 'tags by name');
    assert.ok(pages >= 20);
    assert.deepEqual(seen, [...seen].sort(), 'in name order');
  });

  it('GET /api/v1/tags sorted by version, newest first', async () => {
    const { seen, written } = await walkWhileWriting(`/api/v1/tags?repository=${repository}&sort=version&n=500`);
    assertComplete(seen, written, 'tags by version');
    const versions = seen.filter((tag) => tag !== 'seed');
    assert.deepEqual(versions, [...versions].sort((a, b) => compareTagVersions(b, a)), 'in descending version order');
    assert.equal(seen[seen.length - 1], 'seed', 'a tag that is no version comes last');
  });

  it('GET /api/v1/artifacts in pages of 500, by name and by push time', async () => {
    const byName = await walkWhileWriting(`/api/v1/artifacts?repository=${repository}&n=500`);
    assertComplete(byName.seen, byName.written, 'artifacts by name');
    assert.deepEqual(byName.seen, [...byName.seen].sort(), 'in name order');
    const byPush = await walkWhileWriting(`/api/v1/artifacts?repository=${repository}&sort=pushed&order=asc&n=500`);
    assertComplete(byPush.seen, byPush.written, 'artifacts by push time');
  });

  it('berth query follows the pages and stops at 10,000 rows without --limit, saying so', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'berth-cli-config-'));
    try {
      const run = await runBerthCli(['query', '--repository', repository, '--json', '--url', registry.url], { configDir });
      assert.equal(run.code, 0, run.stderr);
      const rows = JSON.parse(run.stdout) as { tag: string }[];
      assert.equal(rows.length, 10_000);
      assert.equal(new Set(rows.map((row) => row.tag)).size, 10_000);
      assert.match(run.stderr, /^berth: stopped after 10000 rows: narrow the query, or give --limit$/m);
      const limited = await runBerthCli(['query', '--repository', repository, '--limit', '1500', '--json', '--url', registry.url], { configDir });
      assert.equal(JSON.parse(limited.stdout).length, 1500);
      assert.equal(limited.stderr, '', 'a limit given is no surprise');
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});
