/**
 * Immutable tags, Harbor's semantics, at the registry's policy point: once a tag matching a project's rule exists,
 * a push that would move it, a delete of it, and a delete by digest of the manifest it names are refused with 403
 * DENIED naming the rule; tags outside the patterns move as before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessFixtures, basic } from '../support/access-fixtures.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { parseErrorBody, pushBlob, sha256, tinyImageManifest } from '../support/registry-client.js';

const manifestType = 'application/vnd.oci.image.manifest.v1+json';

describe('immutable tags', () => {
  let server: InProcessBerth;
  const maintainer = basic('mia', 'mia-password');
  const developer = basic('dev', 'dev-password');
  before(async () => {
    server = await startInProcess({ auth: { adminPassword: 'admin-password' } });
    const fixtures = new AccessFixtures(server.berth);
    await fixtures.project('team', false);
    await fixtures.user('mia', 'mia-password');
    await fixtures.user('dev', 'dev-password');
    await fixtures.role('team', 'mia', 'maintainer');
    await fixtures.role('team', 'dev', 'developer');
  });
  after(async () => { await server?.close(); });

  const api = (path: string, init: RequestInit & { as?: string } = {}) => fetch(`${server.url}/api/v1${path}`, {
    ...init, headers: { authorization: init.as ?? maintainer, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
  });

  /** Pushes a tiny image whose config holds `marker` to `tag`; answers the response. */
  async function push(repository: string, tag: string, marker: string): Promise<Response> {
    const config = Buffer.from(JSON.stringify({ marker }));
    const upload = await fetch(`${server.url}/v2/${repository}/blobs/uploads/?digest=${sha256(config)}`, {
      method: 'POST', headers: { authorization: developer, 'content-type': 'application/octet-stream' }, body: new Uint8Array(config),
    });
    assert.equal(upload.status, 201);
    return fetch(`${server.url}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT', headers: { authorization: developer, 'content-type': manifestType }, body: new Uint8Array(tinyImageManifest(config)),
    });
  }

  it('refuses moving or deleting a tag a rule protects, naming the rule, and lets other tags move', async () => {
    const added = await api('/projects/team/immutable-tags', { method: 'POST', body: JSON.stringify({ tags: 'v*', repositories: 'app' }) });
    assert.equal(added.status, 201, await added.clone().text());
    const rule = await added.json() as { id: number; tags: string; repositories: string };
    assert.deepEqual([rule.tags, rule.repositories], ['v*', 'app']);

    assert.equal((await push('team/app', 'v1.0', 'first')).status, 201, 'a new tag may be pushed');
    const first = sha256(tinyImageManifest(Buffer.from(JSON.stringify({ marker: 'first' }))));
    assert.equal((await push('team/app', 'v1.0', 'first')).status, 201, 'the same digest again changes nothing');
    const moved = await push('team/app', 'v1.0', 'second');
    assert.equal(moved.status, 403);
    const error = parseErrorBody(await moved.text()).errors[0]!;
    assert.equal(error.code, 'DENIED');
    assert.match(error.message ?? '', new RegExp(`immutable under rule ${rule.id} of project team`));
    assert.equal((error.detail as { rule: string }).rule, `immutable-tags#${rule.id}`);
    assert.equal((await fetch(`${server.url}/v2/team/app/manifests/v1.0`, { headers: { authorization: developer, accept: manifestType } }))
      .headers.get('docker-content-digest'), first, 'the tag did not move');

    assert.equal((await push('team/app', 'latest', 'first')).status, 201);
    assert.equal((await push('team/app', 'latest', 'second')).status, 201, 'a tag outside the pattern moves');
    assert.equal((await push('team/other', 'v1.0', 'a')).status, 201);
    assert.equal((await push('team/other', 'v1.0', 'b')).status, 201, 'a repository outside the pattern too');

    const del = (reference: string) => fetch(`${server.url}/v2/team/app/manifests/${reference}`, { method: 'DELETE', headers: { authorization: maintainer } });
    assert.equal((await del('v1.0')).status, 403, 'the tag cannot be deleted');
    assert.equal((await del(first)).status, 403, 'nor the manifest it names, by digest');

    const listed = await (await api('/projects/team/immutable-tags', { as: developer })).json() as { items: { id: number }[] };
    assert.deepEqual(listed.items.map((item) => item.id), [rule.id], 'members see the rules');
    assert.equal((await api(`/projects/team/immutable-tags/${rule.id}`, { method: 'DELETE', as: developer })).status, 403, 'developers may not remove them');
    assert.equal((await api(`/projects/team/immutable-tags/${rule.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await push('team/app', 'v1.0', 'second')).status, 201, 'without the rule the tag moves');
    assert.equal((await del('v1.0')).status, 202);
  });

  it('lets only one of two pushes racing to create a protected tag set it', async () => {
    const added = await api('/projects/team/immutable-tags', { method: 'POST', body: JSON.stringify({ tags: 'race-*' }) });
    assert.equal(added.status, 201);
    for (let round = 0; round < 5; round++) {
      const tag = `race-${round}`;
      const results = await Promise.all(['left', 'right'].map(async (side) => {
        const response = await push('team/race', tag, `${side}-${round}`);
        await response.arrayBuffer();
        return { side, status: response.status };
      }));
      assert.deepEqual(results.map((result) => result.status).sort(), [201, 403], `round ${round}: one wins, one is refused`);
      const winner = results.find((result) => result.status === 201)!.side;
      const named = await fetch(`${server.url}/v2/team/race/manifests/${tag}`, { method: 'HEAD', headers: { authorization: developer, accept: manifestType } });
      assert.equal(named.headers.get('docker-content-digest'), sha256(tinyImageManifest(Buffer.from(JSON.stringify({ marker: `${winner}-${round}` })))));
    }
  });

  it('validates rules and keeps them to the project\'s maintainers', async () => {
    assert.equal((await api('/projects/team/immutable-tags', { method: 'POST', body: JSON.stringify({ tags: 'v*' }), as: developer })).status, 403);
    assert.equal((await api('/projects/team/immutable-tags', { method: 'POST', body: JSON.stringify({ tags: '' }) })).status, 400);
    assert.equal((await api('/projects/nope/immutable-tags', { method: 'POST', body: JSON.stringify({ tags: 'v*' }) })).status, 404);
    assert.equal((await api('/projects/team/immutable-tags/999', { method: 'DELETE' })).status, 404);
    const audit = await server.berth.access.audit.query({ limit: 50, actor: 'dev' });
    assert.ok(audit.some((event) => event.action === 'immutable.add' && event.outcome === 'denied'));
  });
});

describe('several tags in one push, and sparse indexes', () => {
  let strict: InProcessBerth;
  let sparse: InProcessBerth;
  before(async () => {
    strict = await startInProcess();
    sparse = await startInProcess({ manifests: { allowSparseIndexes: true } });
  });
  after(async () => {
    await strict?.close();
    await sparse?.close();
  });

  it('points every ?tag= at a manifest pushed by digest, with one OCI-Tag header per tag', async () => {
    const config = Buffer.from('{"several":"tags"}');
    await pushBlob(strict.url, 'team/tags', config);
    const manifest = tinyImageManifest(config);
    const response = await fetch(`${strict.url}/v2/team/tags/manifests/${sha256(manifest)}?tag=v1&tag=v1.2&tag=latest`, {
      method: 'PUT', headers: { 'content-type': manifestType }, body: new Uint8Array(manifest),
    });
    assert.equal(response.status, 201, await response.clone().text());
    assert.deepEqual(response.headers.get('oci-tag')?.split(', ').sort(), ['latest', 'v1', 'v1.2']);
    const tags = await (await fetch(`${strict.url}/v2/team/tags/tags/list`)).json() as { tags: string[] };
    assert.deepEqual(tags.tags, ['latest', 'v1', 'v1.2']);
    const bad = await fetch(`${strict.url}/v2/team/tags/manifests/${sha256(manifest)}?tag=-bad`, {
      method: 'PUT', headers: { 'content-type': manifestType }, body: new Uint8Array(manifest),
    });
    assert.equal(bad.status, 400);
    assert.equal(parseErrorBody(await bad.text()).errors[0]!.code, 'TAG_INVALID');
  });

  it('accepts an index whose children are not all present only when told to', async () => {
    const config = Buffer.from('{"platform":"amd64"}');
    const index = (present: string) => Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: manifestType, digest: present, size: 10, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: manifestType, digest: `sha256:${'a'.repeat(64)}`, size: 10, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    }));
    for (const [server, expected] of [[strict, 400], [sparse, 201]] as const) {
      await pushBlob(server.url, 'team/mirror', config);
      const child = tinyImageManifest(config);
      const pushed = await fetch(`${server.url}/v2/team/mirror/manifests/${sha256(child)}`, {
        method: 'PUT', headers: { 'content-type': manifestType }, body: new Uint8Array(child),
      });
      assert.equal(pushed.status, 201);
      const response = await fetch(`${server.url}/v2/team/mirror/manifests/latest`, {
        method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: new Uint8Array(index(sha256(child))),
      });
      assert.equal(response.status, expected, await response.text());
    }
  });
});
