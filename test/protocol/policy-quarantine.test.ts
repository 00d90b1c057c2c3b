/**
 * Quarantine and recall through the registry's policy point: once a maintainer quarantines a digest, every pull of
 * it (manifest GET and HEAD, by tag and by digest, its children when it is an index, and blobs only it uses) is
 * refused with 403 DENIED naming the reason; release restores pulls; who pulled it before comes from the audit log.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AccessFixtures, basic, pushImage } from '../support/access-fixtures.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { parseErrorBody, sha256 } from '../support/registry-client.js';

const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

describe('quarantine and recall', () => {
  let server: InProcessBerth;
  const maintainer = basic('mia', 'mia-password');
  const developer = basic('dev', 'dev-password');
  let ci: string;
  let deploy: string;
  before(async () => {
    server = await startInProcess({ auth: { adminPassword: 'admin-password' } });
    const fixtures = new AccessFixtures(server.berth);
    await fixtures.project('team', false);
    await fixtures.user('mia', 'mia-password');
    await fixtures.user('dev', 'dev-password');
    await fixtures.role('team', 'mia', 'maintainer');
    await fixtures.role('team', 'dev', 'developer');
    const robots = await Promise.all(['ci', 'deploy'].map((name) => fixtures.robot(name, [{ project: 'team', actions: ['pull', 'push'] }])));
    ci = basic(robots[0]!.username, robots[0]!.secret);
    deploy = basic(robots[1]!.username, robots[1]!.secret);
  });
  after(async () => { await server?.close(); });

  const api = (path: string, init: RequestInit & { as?: string } = {}) => fetch(`${server.url}/api/v1${path}`, {
    ...init, headers: { authorization: init.as ?? maintainer, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
  });
  const pull = (repository: string, reference: string, authorization: string, method = 'GET') =>
    fetch(`${server.url}/v2/${repository}/manifests/${reference}`, { method, headers: { authorization, accept } });

  it('refuses every pull of a quarantined image with the reason, on any path, until it is released', async () => {
    const digest = await pushImage(server.url, 'team/app', 'v1', developer);
    const layer = ((await (await pull('team/app', 'v1', ci)).json()) as { layers: { digest: string }[] }).layers[0]!.digest;
    for (let i = 0; i < 3; i++) assert.equal((await pull('team/app', 'v1', ci)).status, 200);
    assert.equal((await pull('team/app', digest, deploy)).status, 200);

    const quarantined = await api('/quarantines', { method: 'POST', body: JSON.stringify({ repository: 'team/app', digest, reason: 'CVE-2024-3094 in liblzma' }) });
    assert.equal(quarantined.status, 201, await quarantined.clone().text());
    assert.deepEqual((await quarantined.json() as { digest: string; via: null }).digest, digest);

    for (const [reference, method] of [['v1', 'GET'], [digest, 'GET'], ['v1', 'HEAD'], [digest, 'HEAD']] as const) {
      const refused = await pull('team/app', reference, ci, method);
      assert.equal(refused.status, 403, `${method} ${reference}`);
      if (method === 'GET') {
        const body = parseErrorBody(await refused.text());
        assert.equal(body.errors[0]!.code, 'DENIED');
        assert.match(body.errors[0]!.message ?? '', /quarantined: CVE-2024-3094 in liblzma/);
        assert.match(body.errors[0]!.message ?? '', new RegExp(digest));
        assert.equal((body.errors[0]!.detail as { rule: string }).rule, 'quarantine');
      }
    }
    assert.equal((await fetch(`${server.url}/v2/team/app/blobs/${layer}`, { headers: { authorization: ci } })).status, 403, 'its own layer');
    assert.equal((await pull('team/app', 'v1', maintainer)).status, 403, 'maintainers too: nobody pulls it');

    const listed = await (await api('/quarantines?project=team')).json() as { items: { digest: string; reason: string }[] };
    assert.deepEqual(listed.items.map((q) => [q.digest, q.reason]), [[digest, 'CVE-2024-3094 in liblzma']]);

    const pullers = await (await api(`/pullers?repository=team/app&digest=${digest}`)).json() as { items: { actor: string; actorKind: string; count: number; firstPull: string; lastPull: string; addresses: string[] }[] };
    assert.deepEqual(pullers.items.map((p) => [p.actor, p.actorKind, p.count, p.addresses]), [
      ['robot$ci', 'robot', 4, ['127.0.0.1']],
      ['robot$deploy', 'robot', 1, ['127.0.0.1']],
    ]);
    assert.ok(pullers.items.every((p) => p.firstPull <= p.lastPull));

    assert.equal((await api(`/quarantines?repository=team/app&digest=${digest}`, { method: 'DELETE' })).status, 204);
    assert.equal((await pull('team/app', 'v1', ci)).status, 200, 'released');
    assert.equal((await fetch(`${server.url}/v2/team/app/blobs/${layer}`, { headers: { authorization: ci } })).status, 200);

    const audit = await server.berth.access.audit.query({ limit: 20, repository: 'team/app' });
    assert.deepEqual(audit.filter((e) => e.action === 'quarantine' || e.action === 'release').map((e) => [e.action, e.actor, e.digest]),
      [['release', 'mia', digest], ['quarantine', 'mia', digest]], 'quarantine and release are audited');
    assert.ok(audit.some((e) => e.action === 'pull' && e.outcome === 'denied' && e.actor === 'robot$ci'), 'refused pulls are audited');
  });

  it('quarantines an index with its children, and keeps layers that other images share', async () => {
    const shared = randomBytes(32);
    const children: string[] = [];
    for (const arch of ['amd64', 'arm64']) {
      const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux' }));
      for (const blob of [shared, config]) await pushRaw('team/multi', 'blobs', sha256(blob), blob);
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(shared), size: shared.length }],
      }));
      await pushRaw('team/multi', 'manifests', sha256(manifest), manifest, 'application/vnd.oci.image.manifest.v1+json');
      children.push(sha256(manifest));
    }
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: children.map((digest, i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 0, platform: { os: 'linux', architecture: ['amd64', 'arm64'][i] } })),
    }));
    // Descriptor sizes of an index's children are not checked against the children here; the test needs no exact ones.
    await pushRaw('team/multi', 'manifests', 'latest', index, 'application/vnd.oci.image.index.v1+json');
    const indexDigest = sha256(index);
    const response = await api('/quarantines', { method: 'POST', body: JSON.stringify({ repository: 'team/multi', digest: indexDigest, reason: 'recalled' }) });
    assert.equal(response.status, 201, await response.text());
    assert.equal((await pull('team/multi', 'latest', ci)).status, 403);
    for (const child of children) assert.equal((await pull('team/multi', child, ci)).status, 403, 'a child goes with its index');
    assert.equal((await fetch(`${server.url}/v2/team/multi/blobs/${sha256(shared)}`, { headers: { authorization: ci } })).status, 403,
      'the shared layer is used only by quarantined images here');
    // Another image of the repository that uses the same layer keeps it pullable.
    const other = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(shared), size: shared.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(shared), size: shared.length }],
    }));
    await pushRaw('team/multi', 'manifests', 'other', other, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal((await fetch(`${server.url}/v2/team/multi/blobs/${sha256(shared)}`, { headers: { authorization: ci } })).status, 200);
    assert.equal((await api(`/quarantines?repository=team/multi&digest=${children[0]}`, { method: 'DELETE' })).status, 404,
      'a child is released with its index only');
    assert.equal((await api(`/quarantines?repository=team/multi&digest=${indexDigest}`, { method: 'DELETE' })).status, 204);
    for (const child of children) assert.equal((await pull('team/multi', child, ci)).status, 200);
  });

  it('lets only maintainers quarantine, release and see pullers, and hides private projects from strangers', async () => {
    const digest = await pushImage(server.url, 'team/guarded', 'v1', developer);
    const body = JSON.stringify({ repository: 'team/guarded', digest, reason: 'no' });
    assert.equal((await api('/quarantines', { method: 'POST', body, as: developer })).status, 403);
    assert.equal((await api(`/pullers?repository=team/guarded&digest=${digest}`, { as: developer })).status, 403);
    await new AccessFixtures(server.berth).user('eve', 'eve-password');
    assert.equal((await api('/quarantines', { method: 'POST', body, as: basic('eve', 'eve-password') })).status, 404);
    assert.equal((await api('/quarantines', { method: 'POST', body: JSON.stringify({ repository: 'team/guarded', digest: `sha256:${'0'.repeat(64)}`, reason: 'x' }) })).status, 404);
    assert.equal((await api('/quarantines', { method: 'POST', body: JSON.stringify({ repository: 'team/guarded', digest, reason: '' }) })).status, 400);
    assert.equal((await pull('team/guarded', 'v1', ci)).status, 200, 'nothing was quarantined');
  });

  async function pushRaw(repository: string, kind: 'blobs' | 'manifests', reference: string, body: Buffer, type?: string): Promise<void> {
    const url = kind === 'blobs' ? `${server.url}/v2/${repository}/blobs/uploads/?digest=${reference}` : `${server.url}/v2/${repository}/manifests/${reference}`;
    const response = await fetch(url, {
      method: kind === 'blobs' ? 'POST' : 'PUT', body: new Uint8Array(body),
      headers: { authorization: developer, 'content-type': type ?? 'application/octet-stream' },
    });
    assert.equal(response.status, 201, `${kind} ${reference}: ${await response.text()}`);
  }
});
