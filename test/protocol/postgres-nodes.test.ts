/*
 * Two Berth nodes on one PostgreSQL database and one blob folder, as a cluster runs (with S3 in place of the shared
 * folder): what one node writes, the other serves at once, even from its caches; an upload may move between nodes
 * request by request; pushes of the same content through both end in one consistent result; "latest" answers the
 * same on both.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import {
  bodyOf, completeUpload, digestOfTag, eventually, patchChunk, pullBlob, pushBlob, pushTinyImage as pushImage, randomBlob, sha256,
  startUpload, tinyImageManifest,
} from '../support/registry-client.js';

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';

describe('two nodes on one PostgreSQL database', { timeout: 120_000 }, () => {
  let server: PostgresServer;
  let a: InProcessBerth;
  let b: InProcessBerth;
  let blobs: string;

  before(async () => {
    server = await startPostgres();
    const url = await server.createDatabase();
    blobs = mkdtempSync(join(tmpdir(), 'berth-shared-'));
    a = await startInProcess({ dataDir: blobs, database: { url } });
    b = await startInProcess({ dataDir: blobs, database: { url } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    rmSync(blobs, { recursive: true, force: true });
    await server?.stop();
  });

  it('serves on one node, from its cache, a tag the other node moved', async () => {
    const first = await pushImage(a.url, 'team/app', 'latest', 'one');
    assert.equal(await digestOfTag(b.url, 'team/app', 'latest'), first);
    assert.equal(await digestOfTag(b.url, 'team/app', 'latest'), first, 'now cached on b');
    const second = await pushImage(a.url, 'team/app', 'latest', 'two');
    // The notice of a's commit reaches b within moments; the bound only keeps a broken build from hanging.
    await eventually('b to serve the moved tag', async () =>
      ((await digestOfTag(b.url, 'team/app', 'latest')) === second ? true : undefined));
    assert.equal(await digestOfTag(b.url, 'team/app', 'latest', 'HEAD'), second);
  });

  it('forgets on one node a tag deleted through the other, and lists tags pushed through either', async () => {
    await pushImage(a.url, 'team/list', 'one', 'l1');
    await pushImage(b.url, 'team/list', 'two', 'l2');
    const tags = async (url: string): Promise<string[]> =>
      ((await (await fetch(`${url}/v2/team/list/tags/list`)).json()) as { tags: string[] }).tags;
    assert.deepEqual(await tags(a.url), ['one', 'two']);
    assert.deepEqual(await tags(b.url), ['one', 'two']);
    const deleted = await fetch(`${b.url}/v2/team/list/manifests/one`, { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    await eventually('a to forget the deleted tag', async () =>
      ((await digestOfTag(a.url, 'team/list', 'one')) === 404 ? true : undefined));
    await eventually('a to list one tag', async () => ((await tags(a.url)).join() === 'two' ? true : undefined));
  });

  it('completes a chunked upload whose requests alternate between the nodes', async () => {
    const bytes = randomBlob(3 * 1024 * 1024 + 17);
    const chunks = [bytes.subarray(0, 1_000_000), bytes.subarray(1_000_000, 2_000_000), bytes.subarray(2_000_000)];
    const session = await startUpload(a.url, 'team/chunked');
    let location = session.location;
    let offset = 0;
    for (const [index, chunk] of chunks.entries()) {
      // Each PATCH goes to the other node than the one that answered before, at the path it gave.
      const node = index % 2 === 0 ? b : a;
      const target = new URL(new URL(location, a.url).pathname + new URL(location, a.url).search, node.url).href;
      const response = await patchChunk(target, chunk, { range: `${offset}-${offset + chunk.length - 1}` });
      assert.equal(response.status, 202, await response.text());
      location = response.headers.get('location')!;
      offset += chunk.length;
    }
    const finalTarget = new URL(new URL(location, b.url).pathname + new URL(location, b.url).search, b.url).href;
    const done = await completeUpload(finalTarget, sha256(bytes));
    assert.equal(done.status, 201, await done.text());
    assert.deepEqual(await pullBlob(a.url, 'team/chunked', sha256(bytes)), bytes);
  });

  it('ends consistent when both nodes push the same image and tag at once', async () => {
    const config = Buffer.from('{"same":true}');
    const manifest = tinyImageManifest(config);
    await Promise.all([pushBlob(a.url, 'team/race', config), pushBlob(b.url, 'team/race', config)]);
    const results = await Promise.all([a, b, a, b].map((node) => fetch(`${node.url}/v2/team/race/manifests/v1`, {
      method: 'PUT', body: bodyOf(manifest), headers: { 'content-type': ociManifest },
    })));
    assert.deepEqual(results.map((response) => response.status), [201, 201, 201, 201]);
    for (const node of [a, b]) {
      assert.equal(await digestOfTag(node.url, 'team/race', 'v1'), sha256(manifest));
      assert.deepEqual(await pullBlob(node.url, 'team/race', sha256(config)), config);
    }
  });

  it('answers "latest" alike on both nodes, on every call, until a push through either changes it', async () => {
    const latest = async (url: string, query: string): Promise<{ tag: string; digest: string }> => {
      const response = await fetch(`${url}/api/v1/latest?${query}`);
      assert.equal(response.status, 200, await response.clone().text());
      return response.json() as Promise<{ tag: string; digest: string }>;
    };
    for (const tag of ['1.0.0', '1.2.0', 'v1.10.0', '2.0.0-rc.1', 'latest']) await pushImage(a.url, 'team/versions', tag, tag);
    const query = 'repository=team/versions&by=semver';
    const first = await latest(a.url, query);
    assert.equal(first.tag, 'v1.10.0', 'semver order, pre-releases left out, the v prefix tolerated, non-versions ignored');
    for (let call = 0; call < 5; call++) {
      assert.deepEqual(await latest(a.url, query), first);
      assert.deepEqual(await latest(b.url, query), first);
    }
    await pushImage(b.url, 'team/versions', '1.11.0', 'newer');
    for (const node of [a, b]) {
      await eventually('each node to answer the new latest', async () => ((await latest(node.url, query)).tag === '1.11.0' ? true : undefined));
    }
    assert.equal((await latest(a.url, `${query}&prerelease=true`)).tag, '2.0.0-rc.1');
  });
});
