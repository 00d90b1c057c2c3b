/**
 * LDAP logins end to end: a real OpenLDAP server (test/support/slapd.ts, StartTLS with its own CA) and a real
 * `berth serve` child process configured for it by a YAML file. Directory users appear on their first login; the
 * directory's groups give them roles through Berth groups of source "ldap" whose external name is the group's DN;
 * members of auth.ldapAdminGroup are system administrators. podman does the logins and pushes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AdminApi, basicAuth, bearerToken, expectRegistryError, requestToken, type AuditItem,
} from '../support/admin-api.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { allManifestTypes } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, sha256Digest, type RunResult } from '../support/clients/run.js';
import { outputOf, SandboxedClients } from '../support/clients/sandboxed-clients.js';
import { startSlapd, type Slapd } from '../support/slapd.js';

const timeout = 120_000;
const adminPassword = 'admin-password-for-ldap-e2e';
const local = 'localhost/berth-ldap/app:1';
const developersDN = 'cn=developers,ou=groups,dc=example,dc=org';
const adminsDN = 'cn=registry-admins,ou=groups,dc=example,dc=org';

const alice = { username: 'alice', password: 'alice-secret' };
const bob = { username: 'bob', password: 'bob-secret' };
const carol = { username: 'carol', password: 'carol-secret' };
const dave = { username: 'dave', password: 'dave-secret' };

function assertFailed(result: RunResult, pattern: RegExp, what: string): void {
  assert.notEqual(result.code, 0, `${what} must fail:\n${outputOf(result)}`);
  assert.match(`${result.stdout}\n${result.stderr}`, pattern, `${what}: the error says why:\n${outputOf(result)}`);
}

describe('LDAP logins with podman against a real Berth process and OpenLDAP', { timeout }, () => {
  let slapd: Slapd;
  let berth: BerthProcess;
  let work: string;
  let clients: SandboxedClients;
  let admin: AdminApi;
  let pushedDigest = '';
  const remote = (path: string): string => `${berth.hostPort}/${path}`;

  before(async () => {
    work = makeTempDir('ldap');
    clients = new SandboxedClients(work);
    slapd = await startSlapd();
    const config = join(work, 'berth.yaml');
    // JSON is YAML: the keys are those of the configuration schema.
    writeFileSync(config, JSON.stringify({
      auth: {
        adminPassword,
        ldap: {
          url: slapd.url,
          startTLS: true,
          tls: { caFile: slapd.caFile },
          bindDN: slapd.bindDN,
          bindPassword: slapd.bindPassword,
          userBaseDN: `ou=people,${slapd.baseDN}`,
          groupBaseDN: `ou=groups,${slapd.baseDN}`,
        },
        ldapAdminGroup: adminsDN,
      },
    }, null, 2));
    berth = await startBerthProcess({ args: ['--config', config] });
    admin = new AdminApi(berth.url, 'admin', adminPassword);

    const context = join(work, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'hello.txt'), 'hello from the LDAP tests\n');
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    await clients.podman('build', ['build', '--quiet', '--tag', local, context]);
  });

  after(async () => {
    try {
      await berth?.stop();
      if (berth) removeDataDir(berth.dataDir);
    } finally {
      await slapd?.stop();
      removeDir(work);
    }
  });

  const push = (identity: string, target: string, digestFile?: string): Promise<RunResult> => clients.tryPodman('build', [
    'push', '--quiet', '--tls-verify=false', '--authfile', clients.authFile(identity),
    ...(digestFile ? ['--digestfile', digestFile] : []), local, remote(target)]);

  it('the administrator maps the LDAP group "developers" to the developer role of project "team"', { timeout }, async () => {
    await admin.createProject('team', false);
    await admin.createGroup({ name: 'developers', source: 'ldap', externalName: developersDN });
    await admin.setMember('team', { kind: 'group', name: 'developers', role: 'developer' });
  });

  it('alice (LDAP group developers) logs in with podman, which creates her, and pushes', { timeout }, async () => {
    const login = await clients.login(berth.hostPort, 'alice', alice.username, alice.password);
    assert.match(login.stdout, /Login Succeeded/i);

    const digestFile = join(work, 'alice.digest');
    const pushed = await push('alice', 'team/app:1', digestFile);
    assert.equal(pushed.code, 0, `alice's push:\n${outputOf(pushed)}`);
    pushedDigest = readFileSync(digestFile, 'utf8').trim();

    // Her LDAP password also works as Basic credentials straight on /v2/.
    const stored = await fetch(`${berth.url}/v2/team/app/manifests/1`, {
      headers: { accept: allManifestTypes, authorization: basicAuth(alice.username, alice.password) },
    });
    const bytes = Buffer.from(await stored.arrayBuffer());
    assert.equal(stored.status, 200, bytes.toString());
    assert.equal(sha256Digest(bytes), pushedDigest, 'Berth holds what podman pushed');

    // Her account, as the directory described it, with the Berth group her LDAP group maps to.
    const me = await new AdminApi(berth.url, alice.username, alice.password)
      .expect<{ username: string; admin: boolean; source: string; email: string | null; groups: string[] }>(200, 'GET', '/api/v1/me');
    assert.equal(me.username, 'alice');
    assert.equal(me.source, 'ldap');
    assert.equal(me.admin, false);
    assert.equal(me.email, 'alice@example.org');
    assert.deepEqual(me.groups, ['developers']);
  });

  it('bob (LDAP group guests, which has no role in team) logs in but is denied the push with 403', { timeout }, async () => {
    await clients.login(berth.hostPort, 'bob', bob.username, bob.password);
    assertFailed(await push('bob', 'team/app:bob'), /denied|403/i, 'bob\'s podman push');

    const token = await bearerToken(berth.url, { ...bob, scopes: ['repository:team/app:pull,push'] });
    const upload = await fetch(`${berth.url}/v2/team/app/blobs/uploads/`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': '0' },
    });
    await expectRegistryError(upload, 403, 'DENIED', 'bob opening an upload with his token');
    const pull = await fetch(`${berth.url}/v2/team/app/manifests/1`, { headers: { authorization: `Bearer ${token}` } });
    await expectRegistryError(pull, 403, 'DENIED', 'bob pulling from a private project he has no role in');
  });

  it('a wrong LDAP password fails login, with the same answer as an unknown user', { timeout }, async () => {
    const login = await clients.tryLogin(berth.hostPort, 'alice-wrong', alice.username, 'not-alice-secret');
    assertFailed(login, /unauthorized|invalid|401/i, 'podman login with a wrong LDAP password');

    const wrong = await expectRegistryError(await requestToken(berth.url, { username: 'alice', password: 'not-alice-secret' }),
      401, 'UNAUTHORIZED', 'a token with a wrong LDAP password');
    const unknown = await expectRegistryError(await requestToken(berth.url, { username: 'mallory', password: 'mallory-secret' }),
      401, 'UNAUTHORIZED', 'a token for a user the directory does not know');
    assert.equal(wrong.message, unknown.message, 'a wrong password and an unknown user are told apart by nobody');

    // Her right password still works afterwards.
    await bearerToken(berth.url, { ...alice, scopes: ['repository:team/app:pull'] });
  });

  it('LDAP filter injection in the username does not log anyone in', { timeout }, async () => {
    // Each of these would match alice (or everyone) if the name reached the filter unescaped, and alice's password
    // would then bind.
    const injections = ['*', 'alice)(uid=*', '*)(uid=*))(|(uid=*', 'al*', 'a*e', 'alice)(|(objectClass=*)', '*)(objectClass=*'];
    for (const username of injections) {
      const response = await requestToken(berth.url, { username, password: alice.password, scopes: ['repository:team/app:pull,push'] });
      await expectRegistryError(response, 401, 'UNAUTHORIZED', `the username ${JSON.stringify(username)} with alice's password`);
    }
    const login = await clients.tryLogin(berth.hostPort, 'star', '*', alice.password);
    assertFailed(login, /unauthorized|invalid|401/i, 'podman login as "*" with alice\'s password');
    const basic = await fetch(`${berth.url}/v2/team/app/manifests/1`, {
      headers: { authorization: basicAuth('alice)(uid=*', alice.password) },
    });
    await expectRegistryError(basic, 401, 'UNAUTHORIZED', 'Basic credentials with an injected username');
  });

  it('carol, in the LDAP admin group, is a system administrator; dave is not', { timeout }, async () => {
    await clients.login(berth.hostPort, 'carol', carol.username, carol.password);
    // Only a system administrator's push creates a project that does not exist.
    const pushed = await push('carol', 'carolproject/app:1');
    assert.equal(pushed.code, 0, `carol's push to a new project:\n${outputOf(pushed)}`);
    // The catalog is for system administrators only.
    const token = await bearerToken(berth.url, { ...carol, scopes: ['registry:catalog:*'] });
    const catalog = await fetch(`${berth.url}/v2/_catalog`, { headers: { authorization: `Bearer ${token}` } });
    const listed = await catalog.json() as { repositories: string[] };
    assert.equal(catalog.status, 200, JSON.stringify(listed));
    assert.ok(listed.repositories.includes('carolproject/app') && listed.repositories.includes('team/app'),
      `carol sees every repository: ${JSON.stringify(listed)}`);
    // And the administration API treats her as one.
    const asCarol = new AdminApi(berth.url, carol.username, carol.password);
    const me = await asCarol.expect<{ username: string; admin: boolean; source: string }>(200, 'GET', '/api/v1/me');
    assert.deepEqual({ username: me.username, admin: me.admin, source: me.source }, { username: 'carol', admin: true, source: 'ldap' });
    await asCarol.createProject('carols-api-project', false);

    const daveToken = await bearerToken(berth.url, { ...dave, scopes: ['registry:catalog:*'] });
    const daveCatalog = await fetch(`${berth.url}/v2/_catalog`, { headers: { authorization: `Bearer ${daveToken}` } });
    await expectRegistryError(daveCatalog, 403, 'DENIED', 'dave listing the catalog');
    const asDave = new AdminApi(berth.url, dave.username, dave.password);
    assert.equal((await asDave.expect<{ admin: boolean }>(200, 'GET', '/api/v1/me')).admin, false);
    const refused = await asDave.request('POST', '/api/v1/projects', { name: 'daves-project', public: false });
    assert.equal(refused.status, 403, `dave creating a project: ${refused.text}`);
    await clients.login(berth.hostPort, 'dave', dave.username, dave.password);
    assertFailed(await push('dave', 'daveproject/app:1'), /denied|403/i, 'dave pushing to a project that does not exist');
  });

  it('the audit log shows alice\'s login and push', { timeout }, async () => {
    const find = (items: AuditItem[], what: string, predicate: (item: AuditItem) => boolean): AuditItem => {
      const found = items.find(predicate);
      assert.ok(found, `the audit log has ${what}; it has:\n${items.map((item) => JSON.stringify(item)).join('\n')}`);
      return found;
    };
    find(await admin.audit({ actor: 'alice', action: 'login' }), 'alice\'s login',
      (item) => item.outcome === 'ok' && item.actorKind === 'user' && item.address === '127.0.0.1');
    const pushEvent = find(await admin.audit({ actor: 'alice', action: 'push' }), 'alice\'s push of team/app:1',
      (item) => item.repository === 'team/app' && item.tag === '1' && item.outcome === 'ok');
    assert.equal(pushEvent.digest, pushedDigest);
    find(await admin.audit({ actor: 'alice', action: 'login.failed' }), 'alice\'s failed login', (item) => item.outcome === 'failed');
    find(await admin.audit({ actor: 'bob', outcome: 'denied' }), 'bob\'s denied push',
      (item) => item.action === 'push' && item.repository === 'team/app');
    const injected = await admin.audit({ action: 'login.failed', actor: 'alice)(uid=*' });
    assert.ok(injected.length >= 1, 'a login with an injected name is audited as failed, under the name as typed');
    const okLogins = await admin.audit({ action: 'login', outcome: 'ok' });
    for (const item of okLogins) assert.doesNotMatch(item.actor, /[*()]/, `no login with an injected name succeeded: ${JSON.stringify(item)}`);
  });
});
