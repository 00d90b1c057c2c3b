/**
 * Access control end to end, as users meet it: a real `berth serve` child process with BERTH_ADMIN_PASSWORD, the
 * administration API to set up users, projects, roles and robots, and podman and skopeo doing the logins, pushes
 * and pulls (Docker token auth: a 401 challenge, the token endpoint, bearer tokens). Every client runs in a sandbox
 * (see SandboxedClients) with one auth file per identity, so each command runs as exactly the identity the test
 * names.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  AdminApi, basicAuth, bearerToken, expectRegistryError, firstError, parseBearerChallenge, requestToken, requestTokenByForm,
  type AuditItem,
} from '../support/admin-api.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { descriptorForTag, parseJson, reachableBlobs } from '../support/clients/oci-layout.js';
import { allManifestTypes } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, sha256Digest, type RunResult } from '../support/clients/run.js';
import { outputOf, SandboxedClients } from '../support/clients/sandboxed-clients.js';

const timeout = 120_000;
const adminPassword = 'admin-password-for-e2e';
const local = 'localhost/berth-access/app:1';

interface PodmanImage {
  readonly Id: string;
  readonly Digest: string;
}

/** GET of a manifest as someone (Basic credentials), nobody, or a bearer token. */
async function getManifestAs(url: string, repository: string, reference: string,
  who?: { username: string; password: string } | { token: string }): Promise<Response> {
  const headers: Record<string, string> = { accept: allManifestTypes };
  if (who && 'token' in who) headers.authorization = `Bearer ${who.token}`;
  else if (who) headers.authorization = basicAuth(who.username, who.password);
  return fetch(`${url}/v2/${repository}/manifests/${reference}`, { headers });
}

function assertFailed(result: RunResult, pattern: RegExp, what: string): void {
  assert.notEqual(result.code, 0, `${what} must fail:\n${outputOf(result)}`);
  assert.match(`${result.stdout}\n${result.stderr}`, pattern, `${what}: the error says why:\n${outputOf(result)}`);
}

const users = {
  dev: { username: 'dev', password: 'dev-password-1' },
  guest: { username: 'guest', password: 'guest-password-1' },
  leaver: { username: 'leaver', password: 'leaver-password-1' },
} as const;

describe('access control with podman and skopeo against a real Berth process', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let clients: SandboxedClients;
  let admin: AdminApi;
  let layout: string;
  let builtId: string;
  /** The digest of team/app:1 as the developer pushed it. */
  let pushedDigest = '';
  /** The digest of the layout's image, pushed by the robot. */
  let robotPushedDigest = '';
  const remote = (path: string): string => `${berth.hostPort}/${path}`;

  before(async () => {
    work = makeTempDir('access');
    clients = new SandboxedClients(work);
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
    admin = new AdminApi(berth.url, 'admin', adminPassword);

    // One small image, built once, FROM scratch; and the same image as an OCI layout for skopeo to push from.
    const context = join(work, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'hello.txt'), 'hello from the access-control tests\n');
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nCMD ["/hello.txt"]\n');
    await clients.podman('build', ['build', '--quiet', '--tag', local, context]);
    builtId = parseJson<PodmanImage[]>((await clients.podman('build', ['image', 'inspect', local])).stdout)[0]!.Id;
    layout = join(work, 'layout');
    await clients.podman('build', ['push', '--quiet', local, `oci:${layout}:app`]);
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  const inspect = async (store: string, image: string): Promise<PodmanImage> =>
    parseJson<PodmanImage[]>((await clients.podman(store, ['image', 'inspect', image])).stdout)[0]!;

  it('the administrator creates users, projects and roles through the API', { timeout }, async () => {
    for (const user of Object.values(users)) await admin.createUser({ ...user, email: `${user.username}@example.org` });
    await admin.createProject('team', false);
    await admin.createProject('other', false);
    await admin.setMember('team', { kind: 'user', name: 'dev', role: 'developer' });
    await admin.setMember('team', { kind: 'user', name: 'guest', role: 'guest' });
    await admin.setMember('team', { kind: 'user', name: 'leaver', role: 'developer' });
  });

  it('a developer logs in with podman, pushes, and pulls the image back identical', { timeout }, async () => {
    const login = await clients.login(berth.hostPort, 'dev', users.dev.username, users.dev.password);
    assert.match(login.stdout, /Login Succeeded/i);

    const digestFile = join(work, 'dev-push.digest');
    await clients.podman('build', ['push', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('dev'),
      '--digestfile', digestFile, local, remote('team/app:1')]);
    pushedDigest = readFileSync(digestFile, 'utf8').trim();
    assert.match(pushedDigest, /^sha256:[0-9a-f]{64}$/);

    const stored = await getManifestAs(berth.url, 'team/app', '1', users.dev);
    const bytes = Buffer.from(await stored.arrayBuffer());
    assert.equal(stored.status, 200, bytes.toString());
    assert.equal(sha256Digest(bytes), pushedDigest, 'Berth holds the manifest podman pushed, byte for byte');
    assert.equal(stored.headers.get('docker-content-digest'), pushedDigest);

    // Pulled into an empty store, as the developer: the same manifest and the same image (config digest).
    await clients.podman('dev-pull', ['pull', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('dev'), remote('team/app:1')]);
    const pulled = await inspect('dev-pull', remote('team/app:1'));
    assert.equal(pulled.Digest, pushedDigest, 'the pulled manifest is the pushed one');
    assert.equal(pulled.Id, builtId, 'the pulled image is the built one');
  });

  it('a guest may pull from the project but its push is denied with 403 DENIED', { timeout }, async () => {
    await clients.login(berth.hostPort, 'guest', users.guest.username, users.guest.password);
    await clients.podman('guest-pull', ['pull', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('guest'), remote('team/app:1')]);
    assert.equal((await inspect('guest-pull', remote('team/app:1'))).Digest, pushedDigest);

    const push = await clients.tryPodman('build', ['push', '--tls-verify=false', '--authfile', clients.authFile('guest'),
      local, remote('team/app:guest')]);
    assertFailed(push, /denied|403/i, 'a guest\'s podman push');

    // The same through the protocol: a token asked for pull and push is granted pull only, and an upload is 403.
    const token = await bearerToken(berth.url, { ...users.guest, scopes: ['repository:team/app:pull,push'] });
    const upload = await fetch(`${berth.url}/v2/team/app/blobs/uploads/`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': '0' },
    });
    await expectRegistryError(upload, 403, 'DENIED', 'a guest opening an upload with its token');
    // Basic credentials straight on /v2/ are refused alike.
    const basicUpload = await fetch(`${berth.url}/v2/team/app/blobs/uploads/`, {
      method: 'POST', headers: { authorization: basicAuth(users.guest.username, users.guest.password), 'content-length': '0' },
    });
    await expectRegistryError(basicUpload, 403, 'DENIED', 'a guest opening an upload with Basic credentials');
    assert.equal((await getManifestAs(berth.url, 'team/app', 'guest', users.dev)).status, 404, 'nothing was tagged');
  });

  it('an anonymous pull from a private project gets 401 with a Bearer challenge; podman pull without login fails', { timeout }, async () => {
    const anonymous = await getManifestAs(berth.url, 'team/app', '1');
    const challenge = parseBearerChallenge(anonymous.headers.get('www-authenticate'));
    await expectRegistryError(anonymous, 401, 'UNAUTHORIZED', 'an anonymous manifest GET');
    assert.equal(challenge.realm, `${berth.url}/auth/token`, 'the realm is Berth\'s token endpoint');
    assert.equal(challenge.service, 'berth');
    assert.equal(challenge.scope, 'repository:team/app:pull');

    // A repository that does not exist is refused alike: an anonymous caller learns nothing about what exists.
    const missing = await getManifestAs(berth.url, 'team/nothing-here', '1');
    assert.equal(parseBearerChallenge(missing.headers.get('www-authenticate')).scope, 'repository:team/nothing-here:pull');
    await expectRegistryError(missing, 401, 'UNAUTHORIZED', 'an anonymous GET of a repository that does not exist');

    // An anonymous token is issued, but grants nothing here: still 401, never the manifest.
    const token = await bearerToken(berth.url, { scopes: ['repository:team/app:pull'] });
    await expectRegistryError(await getManifestAs(berth.url, 'team/app', '1', { token }), 401, 'UNAUTHORIZED', 'a GET with an anonymous token');

    const pull = await clients.tryPodman('anonymous', ['pull', '--tls-verify=false', '--authfile', clients.authFile('anonymous'), remote('team/app:1')]);
    assertFailed(pull, /unauthorized|authentication required|401/i, 'an anonymous podman pull of a private project');
  });

  it('a public project pulls anonymously with podman and skopeo, and still refuses anonymous pushes', { timeout }, async () => {
    await admin.updateProject('team', { public: true });
    try {
      const response = await getManifestAs(berth.url, 'team/app', '1');
      await response.arrayBuffer();
      assert.equal(response.status, 200, 'an anonymous GET of a public project\'s manifest');
      assert.equal(response.headers.get('docker-content-digest'), pushedDigest);

      await clients.podman('anonymous', ['pull', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('anonymous'), remote('team/app:1')]);
      const pulled = await inspect('anonymous', remote('team/app:1'));
      assert.equal(pulled.Digest, pushedDigest);
      assert.equal(pulled.Id, builtId);

      const out = join(work, 'anonymous-skopeo');
      await clients.skopeo(['copy', '--quiet', '--src-tls-verify=false', '--src-no-creds', `docker://${remote('team/app:1')}`, `oci:${out}:app`]);
      assert.equal(descriptorForTag(out, 'app').digest, pushedDigest, 'skopeo copied the pushed manifest');

      const push = await clients.tryPodman('build', ['push', '--tls-verify=false', '--authfile', clients.authFile('anonymous'),
        local, remote('team/anonymous:1')]);
      assertFailed(push, /unauthorized|authentication required|denied|401|403/i, 'an anonymous podman push to a public project');
      const upload = await fetch(`${berth.url}/v2/team/anonymous/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
      const challenge = parseBearerChallenge(upload.headers.get('www-authenticate'));
      assert.equal(challenge.scope, 'repository:team/anonymous:pull,push');
      await expectRegistryError(upload, 401, 'UNAUTHORIZED', 'an anonymous upload to a public project');
    } finally {
      await admin.updateProject('team', { public: false });
    }
    await expectRegistryError(await getManifestAs(berth.url, 'team/app', '1'), 401, 'UNAUTHORIZED', 'private again');
  });

  it('a push-pull robot pushes into its project with skopeo and nowhere else; a pull-only robot cannot push', { timeout }, async () => {
    const ci = await admin.createRobot({ name: 'ci', description: 'CI pipeline', permissions: [{ project: 'team', actions: ['pull', 'push'] }] });
    const reader = await admin.createRobot({ name: 'reader', permissions: [{ project: 'team', actions: ['pull'] }] });
    const source = `oci:${layout}:app`;
    const expected = descriptorForTag(layout, 'app').digest;

    await clients.skopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `${ci.name}:${ci.secret}`, source,
      `docker://${remote('team/ci-app:1')}`]);
    const stored = await getManifestAs(berth.url, 'team/ci-app', '1', users.dev);
    const bytes = Buffer.from(await stored.arrayBuffer());
    assert.equal(stored.status, 200, bytes.toString());
    assert.equal(sha256Digest(bytes), expected, 'the robot pushed the layout\'s manifest');
    robotPushedDigest = expected;

    const elsewhere = await clients.trySkopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `${ci.name}:${ci.secret}`,
      source, `docker://${remote('other/ci-app:1')}`]);
    assertFailed(elsewhere, /denied|403/i, 'the robot pushing into a project it has no permission on');
    const otherTags = await fetch(`${berth.url}/v2/other/ci-app/tags/list`, { headers: { authorization: basicAuth('admin', adminPassword) } });
    await expectRegistryError(otherTags, 404, 'NAME_UNKNOWN', 'nothing at all reached the other project');

    // The pull-only robot pulls, but its push is refused.
    const out = join(work, 'reader-pull');
    await clients.skopeo(['copy', '--quiet', '--src-tls-verify=false', '--src-creds', `${reader.name}:${reader.secret}`,
      `docker://${remote('team/app:1')}`, `oci:${out}:app`]);
    assert.equal(descriptorForTag(out, 'app').digest, pushedDigest);
    const pulled = reachableBlobs(out, pushedDigest);
    assert.ok(pulled.size >= 3, 'manifest, config and layer came back, each matching its digest');

    const readerPush = await clients.trySkopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `${reader.name}:${reader.secret}`,
      source, `docker://${remote('team/reader:1')}`]);
    assertFailed(readerPush, /denied|403/i, 'a pull-only robot pushing');
    const upload = await fetch(`${berth.url}/v2/team/reader/blobs/uploads/`, {
      method: 'POST', headers: { authorization: basicAuth(reader.name, reader.secret), 'content-length': '0' },
    });
    await expectRegistryError(upload, 403, 'DENIED', 'a pull-only robot opening an upload with Basic credentials');
  });

  it('expired and revoked robots are refused at login', { timeout }, async () => {
    const old = await admin.createRobot({ name: 'old', permissions: [{ project: 'team', actions: ['pull'] }], expiresInDays: 1 });
    await clients.login(berth.hostPort, 'robot-old', old.name, old.secret);
    // The API sets expiry in whole days from now, so it cannot make a robot that has already expired: this one case
    // writes the expiry straight into the child process's SQLite database (milliseconds since the epoch). Berth's
    // caches follow the database's change version, which another process's commit moves too.
    const db = new Database(join(berth.dataDir, 'berth.db'));
    try {
      db.pragma('busy_timeout = 10000');
      const changed = db.prepare('UPDATE robots SET expires_at = ? WHERE name = ?').run(Date.now() - 60_000, old.name);
      assert.equal(changed.changes, 1, 'the robot row was found');
    } finally {
      db.close();
    }
    const expiredLogin = await clients.tryLogin(berth.hostPort, 'robot-old-again', old.name, old.secret);
    assertFailed(expiredLogin, /invalid username\/password|unauthorized|expired|401/i, 'podman login as an expired robot');
    const expiredToken = await requestToken(berth.url, { username: old.name, password: old.secret, scopes: ['repository:team/app:pull'] });
    const expiredError = await expectRegistryError(expiredToken, 401, 'UNAUTHORIZED', 'a token for an expired robot');
    assert.match(expiredError.message ?? '', /expired/i, 'the message says the robot has expired');

    const gone = await admin.createRobot({ name: 'gone', permissions: [{ project: 'team', actions: ['pull', 'push'] }] });
    await clients.login(berth.hostPort, 'robot-gone', gone.name, gone.secret);
    await admin.revokeRobot(gone.name);
    const revokedLogin = await clients.tryLogin(berth.hostPort, 'robot-gone-again', gone.name, gone.secret);
    assertFailed(revokedLogin, /invalid username\/password|unauthorized|revoked|401/i, 'podman login as a revoked robot');
    const revokedToken = await requestToken(berth.url, { username: gone.name, password: gone.secret, scopes: ['repository:team/app:pull'] });
    const revokedError = await expectRegistryError(revokedToken, 401, 'UNAUTHORIZED', 'a token for a revoked robot');
    assert.match(revokedError.message ?? '', /revoked/i, 'the message says the robot was revoked');
    // Basic credentials on /v2/ stop working at once too, even though they worked a moment ago.
    await expectRegistryError(await getManifestAs(berth.url, 'team/app', '1', { username: gone.name, password: gone.secret }),
      401, 'UNAUTHORIZED', 'Basic credentials of a revoked robot');
  });

  it('a disabled user is refused', { timeout }, async () => {
    await clients.login(berth.hostPort, 'leaver', users.leaver.username, users.leaver.password);
    const earlier = await getManifestAs(berth.url, 'team/app', '1', users.leaver);
    await earlier.arrayBuffer();
    assert.equal(earlier.status, 200, 'the user could pull before being disabled');

    await admin.updateUser('leaver', { disabled: true });
    const login = await clients.tryLogin(berth.hostPort, 'leaver-again', users.leaver.username, users.leaver.password);
    assertFailed(login, /invalid username\/password|unauthorized|disabled|401/i, 'podman login as a disabled user');
    const token = await requestToken(berth.url, { ...users.leaver, scopes: ['repository:team/app:pull'] });
    const error = await expectRegistryError(token, 401, 'UNAUTHORIZED', 'a token for a disabled user');
    assert.match(error.message ?? '', /disabled/i, 'the message says the account is disabled');
    await expectRegistryError(await getManifestAs(berth.url, 'team/app', '1', users.leaver), 401, 'UNAUTHORIZED',
      'Basic credentials of a disabled user');
    // podman still holds the credentials it saved before: they no longer pull.
    const pull = await clients.tryPodman('leaver-pull', ['pull', '--tls-verify=false', '--authfile', clients.authFile('leaver'), remote('team/app:1')]);
    assertFailed(pull, /invalid username\/password|unauthorized|disabled|401/i, 'a pull with a disabled user\'s saved login');
  });

  it('an administrator\'s first push to a project that does not exist creates it, private', { timeout }, async () => {
    await clients.login(berth.hostPort, 'admin', 'admin', adminPassword);
    await clients.podman('build', ['push', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('admin'), local, remote('fresh/app:1')]);
    const asAdmin = await getManifestAs(berth.url, 'fresh/app', '1', { username: 'admin', password: adminPassword });
    await asAdmin.arrayBuffer();
    assert.equal(asAdmin.status, 200);

    const anonymous = await getManifestAs(berth.url, 'fresh/app', '1');
    assert.equal(parseBearerChallenge(anonymous.headers.get('www-authenticate')).scope, 'repository:fresh/app:pull');
    await expectRegistryError(anonymous, 401, 'UNAUTHORIZED', 'an anonymous GET from the new project');
    const pull = await clients.tryPodman('anonymous-fresh', ['pull', '--tls-verify=false', '--authfile', clients.authFile('anonymous'), remote('fresh/app:1')]);
    assertFailed(pull, /unauthorized|authentication required|401/i, 'an anonymous podman pull from the new project');
  });

  it('a user who is not an administrator cannot create a project by pushing, nor read the administrator\'s new one', { timeout }, async () => {
    const push = await clients.tryPodman('build', ['push', '--tls-verify=false', '--authfile', clients.authFile('dev'), local, remote('nowhere/app:1')]);
    assertFailed(push, /denied|403/i, 'a developer pushing to a project that does not exist');
    await expectRegistryError(await getManifestAs(berth.url, 'fresh/app', '1', users.dev), 403, 'DENIED',
      'a developer of another project reading the new private project');
    // Nor through the administration API.
    const asDev = new AdminApi(berth.url, users.dev.username, users.dev.password);
    const refused = await asDev.request('POST', '/api/v1/projects', { name: 'devproject', public: true });
    assert.equal(refused.status, 403, `a developer creating a project: ${refused.text}`);
    assert.equal(firstError(refused.text).code, 'DENIED');
  });

  it('the audit log shows pushes, pulls, the robot\'s push, logins, failed logins and denials', { timeout }, async () => {
    const find = (items: AuditItem[], what: string, predicate: (item: AuditItem) => boolean): AuditItem => {
      const found = items.find(predicate);
      assert.ok(found, `the audit log has ${what}; it has:\n${items.map((item) => JSON.stringify(item)).join('\n')}`);
      return found;
    };

    const devPushes = await admin.audit({ actor: 'dev', action: 'push' });
    const push = find(devPushes, 'the developer\'s push of team/app:1',
      (item) => item.repository === 'team/app' && item.tag === '1' && item.outcome === 'ok');
    assert.equal(push.digest, pushedDigest, 'the push is recorded with the manifest digest');
    assert.equal(push.actorKind, 'user');
    assert.equal(push.address, '127.0.0.1');
    for (const item of devPushes) assert.equal(item.actor, 'dev', 'the actor filter holds');

    const pulls = await admin.audit({ action: 'pull', repository: 'team/app' });
    for (const item of pulls) assert.equal(item.action, 'pull', 'the action filter holds');
    find(pulls, 'the developer\'s pull', (item) => item.actor === 'dev' && item.outcome === 'ok' && item.digest === pushedDigest);
    find(pulls, 'the guest\'s pull', (item) => item.actor === 'guest' && item.outcome === 'ok');
    find(pulls, 'an anonymous pull while the project was public', (item) => item.actorKind === 'anonymous' && item.outcome === 'ok');
    find(pulls, 'the pull-only robot\'s pull', (item) => item.actor === 'robot$reader' && item.actorKind === 'robot');

    const robotPush = find(await admin.audit({ actor: 'robot$ci', action: 'push' }), 'the robot\'s push, under the robot\'s name',
      (item) => item.repository === 'team/ci-app' && item.tag === '1' && item.outcome === 'ok');
    assert.equal(robotPush.actorKind, 'robot');
    assert.equal(robotPush.digest, robotPushedDigest);

    const logins = await admin.audit({ action: 'login', actor: 'dev' });
    find(logins, 'the developer\'s login', (item) => item.outcome === 'ok' && item.actorKind === 'user');

    const failed = await admin.audit({ action: 'login.failed' });
    for (const item of failed) assert.notEqual(item.outcome, 'ok', 'a failed login is never ok');
    find(failed, 'the disabled user\'s failed login', (item) => item.actor === 'leaver');
    find(failed, 'the expired robot\'s failed login', (item) => item.actor === 'robot$old' && item.actorKind === 'robot');
    find(failed, 'the revoked robot\'s failed login', (item) => item.actor === 'robot$gone');

    const denied = await admin.audit({ actor: 'guest', outcome: 'denied' });
    const guestPush = find(denied, 'the guest\'s denied push', (item) => item.action === 'push' && item.repository === 'team/app');
    assert.equal(guestPush.address, '127.0.0.1');
    find(await admin.audit({ actor: 'robot$reader', outcome: 'denied' }), 'the pull-only robot\'s denied push',
      (item) => item.action === 'push' && item.repository === 'team/reader' && item.actorKind === 'robot');
    // skopeo's first request into the other project is a blob HEAD (a pull), and it stops at that refusal.
    find(await admin.audit({ actor: 'robot$ci', outcome: 'denied' }), 'the robot refused in the other project',
      (item) => item.repository === 'other/ci-app' && (item.action === 'pull' || item.action === 'push'));

    find(await admin.audit({ action: 'push', repository: 'fresh/app' }), 'the administrator\'s push that created a project',
      (item) => item.actor === 'admin' && item.outcome === 'ok');
    find(await admin.audit({ action: 'project.create', actor: 'admin' }), 'the project the administrator\'s push created',
      (item) => item.outcome === 'ok' && JSON.stringify(item).includes('fresh'));
  });

  it('audits a login at the token endpoint even when the same credentials were used on the API just before', {
    timeout,
  }, async () => {
    const auditee = { username: 'auditee', password: 'auditee-password-1' };
    await admin.createUser(auditee);
    await new AdminApi(berth.url, auditee.username, auditee.password).expect(200, 'GET', '/api/v1/me');
    await bearerToken(berth.url, { ...auditee, scopes: [] });
    const logins = await admin.audit({ action: 'login', actor: auditee.username });
    assert.ok(logins.some((item) => item.outcome === 'ok'), `the token-endpoint login is audited: ${JSON.stringify(logins)}`);
  });
});

describe('brute-force protection of logins, on a Berth with a lockout of 3 failures per account', { timeout }, () => {
  let berth: BerthProcess;
  let work: string;
  let admin: AdminApi;
  const target = { username: 'target', password: 'target-password-1' };

  before(async () => {
    work = makeTempDir('lockout');
    const config = join(work, 'berth.yaml');
    writeFileSync(config, 'auth:\n  lockout:\n    maxFailuresPerAccount: 3\n');
    berth = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword }, args: ['--config', config] });
    admin = new AdminApi(berth.url, 'admin', adminPassword);
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    removeDir(work);
  });

  it('three wrong passwords get 401; the fourth attempt, even with the right password, gets 429 with Retry-After', { timeout }, async () => {
    await admin.createUser(target);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const wrong = await requestToken(berth.url, { username: target.username, password: `wrong-${attempt}` });
      await expectRegistryError(wrong, 401, 'UNAUTHORIZED', `wrong password number ${attempt}`);
    }

    const locked = await requestToken(berth.url, target);
    const retryAfter = locked.headers.get('retry-after');
    const error = await expectRegistryError(locked, 429, 'TOOMANYREQUESTS', 'the right password after three failures');
    assert.match(error.message ?? '', /wait/i, `the message says to wait: ${error.message}`);
    assert.match(retryAfter ?? '', /^\d+$/, `Retry-After holds seconds: ${retryAfter}`);
    assert.ok(Number(retryAfter) > 0);

    // Every way in is refused alike: the OAuth form, Basic credentials on /v2/, and podman login.
    await expectRegistryError(await requestTokenByForm(berth.url, target), 429, 'TOOMANYREQUESTS', 'the OAuth form while locked');
    const basic = await fetch(`${berth.url}/v2/`, { headers: { authorization: basicAuth(target.username, target.password) } });
    assert.equal(basic.status, 429, `Basic credentials on /v2/ while locked: ${await basic.text()}`);
    const clients = new SandboxedClients(join(work, 'clients'));
    const login = await clients.tryLogin(berth.hostPort, 'target', target.username, target.password);
    assertFailed(login, /too many|429/i, 'podman login while locked');

    // The lock is per account: the administrator still logs in from the same address.
    await bearerToken(berth.url, { username: 'admin', password: adminPassword, scopes: [] });
  });

  it('refuses the right password during a lockout even when it was used successfully a moment before', {
    timeout,
  }, async () => {
    const regular = { username: 'regular', password: 'regular-password-1' };
    await admin.createUser(regular);
    await bearerToken(berth.url, { ...regular, scopes: [] });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await expectRegistryError(await requestToken(berth.url, { username: regular.username, password: `wrong-${attempt}` }),
        401, 'UNAUTHORIZED', `wrong password number ${attempt}`);
    }
    await expectRegistryError(await requestToken(berth.url, regular), 429, 'TOOMANYREQUESTS', 'the right password while locked');
  });

  it('audits each failed login, and says which were refused for the lockout', { timeout }, async () => {
    const failed = await admin.audit({ action: 'login.failed', actor: 'target' });
    const wrong = failed.filter((item) => item.outcome === 'failed');
    const throttled = failed.filter((item) => item.outcome === 'denied');
    assert.equal(wrong.length, 3, `three wrong passwords audited: ${JSON.stringify(failed)}`);
    assert.ok(throttled.length >= 1, `attempts refused by the lockout are audited as denied: ${JSON.stringify(failed)}`);
    for (const item of failed) {
      assert.equal(item.actor, 'target');
      assert.equal(item.actorKind, 'user');
      assert.equal(item.address, '127.0.0.1');
    }
    assert.match(JSON.stringify(throttled[0]!.detail ?? ''), /rate|lock|many/i, 'the reason of a refusal is recorded');
  });
});
