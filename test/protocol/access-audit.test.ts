/**
 * The audit log's registry events: pushes, pulls and deletes (by tag, by digest, of blobs), each with the principal,
 * repository, digest, tag and address, and refusals with outcome "denied"; without access control, the same events
 * under "anonymous".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../src/metadata/access-store.js';
import { AccessFixtures, basic, pushImage } from '../support/access-fixtures.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

const accept = 'application/vnd.oci.image.manifest.v1+json';

async function events(server: InProcessBerth, filter: { actor?: string; repository?: string }): Promise<AuditEvent[]> {
  return server.berth.access.audit.query({ limit: 100, ...filter });
}

describe('audit of registry actions with access control', () => {
  let server: InProcessBerth;
  const maintainer = basic('mia', 'mia-password');
  const guest = basic('gus', 'gus-password');
  before(async () => {
    server = await startInProcess({ auth: { adminPassword: 'admin-password' } });
    const fixtures = new AccessFixtures(server.berth);
    await fixtures.project('team', false);
    await fixtures.user('mia', 'mia-password');
    await fixtures.user('gus', 'gus-password');
    await fixtures.role('team', 'mia', 'maintainer');
    await fixtures.role('team', 'gus', 'guest');
  });
  after(async () => { await server?.close(); });

  it('records a push, pulls by tag and by digest, and deletes, each with who, what and where', async () => {
    const digest = await pushImage(server.url, 'team/app', 'v1', maintainer);
    assert.equal((await fetch(`${server.url}/v2/team/app/manifests/v1`, { headers: { authorization: guest, accept } })).status, 200);
    assert.equal((await fetch(`${server.url}/v2/team/app/manifests/${digest}`, { headers: { authorization: guest, accept } })).status, 200);
    assert.equal((await fetch(`${server.url}/v2/team/app/manifests/v1`, { method: 'HEAD', headers: { authorization: guest, accept } })).status, 200);
    const manifest = await (await fetch(`${server.url}/v2/team/app/manifests/v1`, { headers: { authorization: maintainer, accept } })).json() as { layers: { digest: string }[] };
    assert.equal((await fetch(`${server.url}/v2/team/app/manifests/v1`, { method: 'DELETE', headers: { authorization: maintainer } })).status, 202);
    assert.equal((await fetch(`${server.url}/v2/team/app/manifests/${digest}`, { method: 'DELETE', headers: { authorization: maintainer } })).status, 202);
    assert.equal((await fetch(`${server.url}/v2/team/app/blobs/${manifest.layers[0]!.digest}`, { method: 'DELETE', headers: { authorization: maintainer } })).status, 202);

    const summary = (await events(server, { repository: 'team/app' })).reverse()
      .map((e) => [e.actor, e.actorKind, e.action, e.tag ?? '-', e.digest === digest ? 'manifest' : e.digest === manifest.layers[0]!.digest ? 'layer' : '?', e.outcome, e.address]);
    assert.deepEqual(summary, [
      ['mia', 'user', 'push', 'v1', 'manifest', 'ok', '127.0.0.1'],
      ['gus', 'user', 'pull', 'v1', 'manifest', 'ok', '127.0.0.1'],
      ['gus', 'user', 'pull', '-', 'manifest', 'ok', '127.0.0.1'],
      ['mia', 'user', 'pull', 'v1', 'manifest', 'ok', '127.0.0.1'],
      ['mia', 'user', 'delete', 'v1', 'manifest', 'ok', '127.0.0.1'],
      ['mia', 'user', 'delete', '-', 'manifest', 'ok', '127.0.0.1'],
      ['mia', 'user', 'delete', '-', 'layer', 'ok', '127.0.0.1'],
    ], 'a HEAD is a check, not a pull, and is not recorded');
  });

  it('records refusals of known principals as denied, and none of a request that fails for another reason', async () => {
    assert.equal((await fetch(`${server.url}/v2/team/app/manifests/${`sha256:${'1'.repeat(64)}`}`, { method: 'DELETE', headers: { authorization: guest } })).status, 403);
    assert.equal((await fetch(`${server.url}/v2/team/app/manifests/nosuchtag`, { headers: { authorization: guest, accept } })).status, 404);
    const gus = (await events(server, { actor: 'gus' })).filter((e) => e.action === 'delete' || e.tag === 'nosuchtag');
    assert.deepEqual(gus.map((e) => [e.action, e.outcome]), [['delete', 'denied']]);
  });
});

describe('audit without access control', () => {
  let server: InProcessBerth;
  before(async () => { server = await startInProcess(); });
  after(async () => { await server?.close(); });

  it('records pushes and pulls under anonymous', async () => {
    await pushImage(server.url, 'open/app', 'v1');
    assert.equal((await fetch(`${server.url}/v2/open/app/manifests/v1`, { headers: { accept } })).status, 200);
    const recorded = (await events(server, { repository: 'open/app' })).reverse().map((e) => [e.actor, e.actorKind, e.action]);
    assert.deepEqual(recorded, [['anonymous', 'anonymous', 'project.create'], ['anonymous', 'anonymous', 'push'], ['anonymous', 'anonymous', 'pull']]);
    assert.equal((await server.berth.access.store.projectByName('open'))?.public, false, 'the push created its project');
  });
});
