/*
 * "Latest" and the tag lists on two Berth nodes over one PostgreSQL database: every node gives the same answer on
 * every call, and a push through either node changes the answer on both.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { eventually, pushTinyImage as pushImage } from '../support/registry-client.js';

async function latest(url: string, query: string): Promise<{ tag: string; digest: string }> {
  const response = await fetch(`${url}/api/v1/latest?${query}`);
  assert.equal(response.status, 200, await response.clone().text());
  return response.json() as Promise<{ tag: string; digest: string }>;
}

describe('insight on two nodes of one PostgreSQL database', { timeout: 120_000 }, () => {
  let server: PostgresServer;
  let a: InProcessBerth;
  let b: InProcessBerth;
  let blobs: string;

  before(async () => {
    server = await startPostgres();
    const url = await server.createDatabase();
    blobs = mkdtempSync(join(tmpdir(), 'berth-insight-nodes-'));
    a = await startInProcess({ dataDir: blobs, database: { url } });
    b = await startInProcess({ dataDir: blobs, database: { url } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    rmSync(blobs, { recursive: true, force: true });
    await server?.stop();
  });

  it('answers "latest" alike on both nodes, on every call, until a push through either changes it', async () => {
    for (const tag of ['1.0.0', '1.2.0', 'v1.10.0', '2.0.0-rc.1', 'latest']) await pushImage(a.url, 'team/app', tag, tag);
    const query = 'repository=team/app&by=semver';
    const first = await latest(a.url, query);
    assert.equal(first.tag, 'v1.10.0', 'semver order, pre-releases left out, the v prefix tolerated, non-versions ignored');
    for (let call = 0; call < 5; call++) {
      assert.deepEqual(await latest(a.url, query), first);
      assert.deepEqual(await latest(b.url, query), first);
    }
    await pushImage(b.url, 'team/app', '1.11.0', 'newer');
    for (const node of [a, b]) {
      await eventually('each node to answer the new latest', async () => ((await latest(node.url, query)).tag === '1.11.0' ? true : undefined));
    }
    assert.equal((await latest(a.url, `${query}&prerelease=true`)).tag, '2.0.0-rc.1');
  });
});
