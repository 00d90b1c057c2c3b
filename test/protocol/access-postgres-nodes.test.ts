/*
 * Access control across the nodes of a cluster (two nodes on one PostgreSQL database): one signing key, so a token
 * from one node works on the other; one administrator however many nodes start at once; a role taken away or a
 * robot revoked on one node applies on the other at its next request; failed logins counted together.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccessFixtures, basic, fetchToken, pushImage } from '../support/access-fixtures.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { eventually } from '../support/registry-client.js';

const adminPassword = 'cluster-admin-password';

describe('access control on two nodes sharing PostgreSQL', { timeout: 120_000 }, () => {
  let server: PostgresServer;
  let a: InProcessBerth;
  let b: InProcessBerth;
  let blobs: string;

  before(async () => {
    server = await startPostgres();
    const url = await server.createDatabase();
    blobs = mkdtempSync(join(tmpdir(), 'berth-shared-access-'));
    const config = { dataDir: blobs, database: { url }, auth: { adminPassword, lockout: { maxFailuresPerAccount: 4 } } };
    // Both at once: one creates the administrator, the other finds it.
    [a, b] = await Promise.all([startInProcess(config), startInProcess(config)]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    rmSync(blobs, { recursive: true, force: true });
    await server?.stop();
  });

  it('has one administrator and one signing key, so a token from one node works on the other', async () => {
    assert.equal((await a.berth.access.store.listUsers({ limit: 10 })).length, 1);
    await pushImage(a.url, 'team/app', 'v1', basic('admin', adminPassword));
    const token = await fetchToken(a.url, ['repository:team/app:pull'], basic('admin', adminPassword));
    const response = await fetch(`${b.url}/v2/team/app/manifests/v1`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(response.status, 200);
    assert.equal((await a.berth.access.store.signingKeys()).length, 1);
  });

  it('refuses on one node, by tag and by digest, the pull of an image quarantined through the other', async () => {
    const admin = basic('admin', adminPassword);
    const digest = await pushImage(b.url, 'team/held', 'v1', admin);
    const pull = (node: InProcessBerth, reference: string) => fetch(`${node.url}/v2/team/held/manifests/${reference}`, {
      headers: { authorization: admin, accept: 'application/vnd.oci.image.manifest.v1+json' },
    }).then((response) => response.status);
    assert.equal(await pull(b, 'v1'), 200);
    const quarantined = await fetch(`${a.url}/api/v1/quarantines`, {
      method: 'POST', headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'team/held', digest, reason: 'recalled on node a' }),
    });
    assert.equal(quarantined.status, 201);
    await eventually('b to refuse the tag', async () => ((await pull(b, 'v1')) === 403 ? true : undefined));
    assert.equal(await pull(b, digest), 403);
    assert.equal(await pull(a, digest), 403);
    const released = await fetch(`${b.url}/api/v1/quarantines?repository=team/held&digest=${digest}`, { method: 'DELETE', headers: { authorization: admin } });
    assert.equal(released.status, 204);
    await eventually('a to serve it again', async () => ((await pull(a, 'v1')) === 200 ? true : undefined));
    // The outbox is shared: whichever node feeds the audit consumer records what both nodes did. (Pulls are
    // gathered for up to 200 ms on the node that served them, so across nodes their place in the log may lag.)
    await b.berth.access.audit.settle();
    const audit = await a.berth.access.audit.query({ limit: 50, repository: 'team/held' });
    assert.deepEqual(audit.filter((e) => e.outcome === 'ok').map((e) => e.action).sort(), ['pull', 'pull', 'push', 'quarantine', 'release']);
    assert.equal(audit.filter((e) => e.action === 'pull' && e.outcome === 'denied').length, 3, 'the refused pulls too');
  });

  it('applies a role taken away on one node to the next request on the other', async () => {
    const fixtures = new AccessFixtures(a.berth);
    await fixtures.user('dev', 'dev-password');
    await fixtures.role('team', 'dev', 'developer');
    const pull = () => fetch(`${b.url}/v2/team/app/tags/list`, { headers: { authorization: basic('dev', 'dev-password') } });
    assert.equal((await pull()).status, 200);
    const project = await a.berth.access.store.projectByName('team');
    const user = await a.berth.access.store.userByName('dev');
    await a.berth.access.store.removeMember(project!.id, { kind: 'user', id: user!.id });
    await eventually('b to refuse dev', async () => ((await pull()).status === 403 ? true : undefined));
  });

  it('refuses a robot revoked on one node at the other', async () => {
    const robot = await new AccessFixtures(a.berth).robot('ci', [{ project: 'team', actions: ['pull'] }]);
    const pull = () => fetch(`${b.url}/v2/team/app/tags/list`, { headers: { authorization: basic(robot.username, robot.secret) } });
    assert.equal((await pull()).status, 200);
    const stored = await a.berth.access.store.robotByName(robot.username);
    await a.berth.access.store.updateRobot(stored!.id, { revokedAt: Date.now() });
    await eventually('b to refuse the revoked robot', async () => ((await pull()).status === 401 ? true : undefined));
  });

  it('counts failed logins of every node together', async () => {
    await new AccessFixtures(a.berth).user('target', 'target-password');
    const attempt = (node: InProcessBerth, password: string) =>
      fetch(`${node.url}/auth/token?service=berth`, { headers: { authorization: basic('target', password) } });
    assert.equal((await attempt(a, 'wrong-1')).status, 401);
    assert.equal((await attempt(b, 'wrong-2')).status, 401);
    assert.equal((await attempt(a, 'wrong-3')).status, 401);
    assert.equal((await attempt(b, 'wrong-4')).status, 401);
    assert.equal((await attempt(a, 'target-password')).status, 429);
    assert.equal((await attempt(b, 'target-password')).status, 429);
  });
});
