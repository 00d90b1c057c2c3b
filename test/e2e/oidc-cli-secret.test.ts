/**
 * The way an OpenID Connect user reaches the registry from the command line: sign in through the browser flow (a real
 * provider, a real `berth serve` child process configured by a YAML file), create a CLI secret through the API with
 * the session cookie, then `podman login` with username and secret and `podman push` into a project where the
 * user's provider group holds the developer role.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminApi, basicAuth } from '../support/admin-api.js';
import { removeDataDir, type BerthProcess } from '../support/berth-process.js';
import { allManifestTypes } from '../support/clients/registry-api.js';
import { makeTempDir, removeDir, sha256Digest } from '../support/clients/run.js';
import { outputOf, SandboxedClients } from '../support/clients/sandboxed-clients.js';
import { completeOidcLogin } from '../support/oidc-login-driver.js';
import { startOidcBerth } from '../support/oidc-berth.js';
import type { OidcProviderHandle } from '../support/oidc-provider.js';

const timeout = 120_000;
const adminPassword = 'admin-password-for-oidc-e2e';
const clientId = 'berth';
const clientSecret = 'berth-oidc-e2e-secret';
const local = 'localhost/berth-oidc/app:1';

/** The value of a cookie among a response's Set-Cookie lines. */
function setCookie(response: Response, name: string): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';')[0]!;
    if (pair.startsWith(`${name}=`)) return pair.slice(name.length + 1);
  }
  return undefined;
}

describe('an OpenID Connect user pushes with podman through a CLI secret', { timeout }, () => {
  let provider: OidcProviderHandle;
  let berth: BerthProcess;
  let work: string;
  let clients: SandboxedClients;
  let admin: AdminApi;
  let session = '';
  let csrf = '';
  let secret = '';

  before(async () => {
    work = makeTempDir('oidc');
    clients = new SandboxedClients(work);
    ({ provider, berth } = await startOidcBerth({
      work, adminPassword, clientId, clientSecret,
      users: { alice: { email: 'alice@example.com', name: 'Alice Liddell', groups: ['developers'] } },
    }));
    admin = new AdminApi(berth.url, 'admin', adminPassword);

    const context = join(work, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'hello.txt'), 'hello from an OpenID Connect user\n');
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nCMD ["/hello.txt"]\n');
    await clients.podman('build', ['build', '--quiet', '--tag', local, context]);
  });

  after(async () => {
    await berth?.stop();
    if (berth) removeDataDir(berth.dataDir);
    await provider?.stop();
    removeDir(work);
  });

  it('the administrator gives the provider group "developers" the developer role in a project', { timeout }, async () => {
    await admin.createGroup({ name: 'developers', source: 'oidc', externalName: 'developers' });
    await admin.createProject('team', false);
    await admin.setMember('team', { kind: 'group', name: 'developers', role: 'developer' });
  });

  it('alice signs in through the browser flow', { timeout }, async () => {
    const start = await fetch(`${berth.url}/auth/oidc/login`, { redirect: 'manual' });
    assert.equal(start.status, 302, await start.text());
    const state = setCookie(start, 'berth_oidc');
    assert.ok(state, 'the login sets its state cookie');

    const callbackUrl = await completeOidcLogin(start.headers.get('location')!, 'alice');
    assert.ok(callbackUrl.startsWith(`${berth.url}/auth/oidc/callback?`), callbackUrl);
    const callback = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: `berth_oidc=${state}` } });
    assert.equal(callback.status, 302, await callback.text());
    assert.equal(callback.headers.get('location'), '/auth/oidc/done');
    session = setCookie(callback, 'berth_session') ?? '';
    csrf = setCookie(callback, 'berth_csrf') ?? '';
    assert.ok(session !== '' && csrf !== '', 'the session and CSRF cookies are set');

    const done = await fetch(`${berth.url}/auth/oidc/done`, { headers: { cookie: `berth_session=${session}; berth_csrf=${csrf}` } });
    assert.equal(done.status, 200);
    assert.match(await done.text(), /signed in as <strong>Alice Liddell<\/strong> \(<code>alice<\/code>\)/);

    const me = await fetch(`${berth.url}/api/v1/me`, { headers: { cookie: `berth_session=${session}` } });
    const meText = await me.text();
    assert.equal(me.status, 200, meText);
    assert.equal((JSON.parse(meText) as { username: string }).username, 'alice');
  });

  it('alice creates a CLI secret through the API with her session', { timeout }, async () => {
    const cookie = `berth_session=${session}; berth_csrf=${csrf}`;
    const body = JSON.stringify({ name: 'laptop', expiresInDays: 30 });

    // The session cookie alone does not do: a change needs the CSRF header a page of another site cannot send.
    const forged = await fetch(`${berth.url}/api/v1/users/me/cli-secrets`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body,
    });
    assert.ok(forged.status === 401 || forged.status === 403, `without x-berth-csrf: ${forged.status} ${await forged.text()}`);

    const created = await fetch(`${berth.url}/api/v1/users/me/cli-secrets`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-berth-csrf': csrf }, body,
    });
    const text = await created.text();
    assert.equal(created.status, 201, text);
    const result = JSON.parse(text) as { id: unknown; name: string; secret: string; expiresAt: unknown };
    assert.equal(result.name, 'laptop');
    assert.equal(typeof result.secret, 'string');
    assert.ok(result.secret.length >= 20, 'a CLI secret is long');
    secret = result.secret;
  });

  it('podman logs in as alice with the CLI secret and pushes into the project', { timeout }, async () => {
    assert.ok(secret !== '', 'the CLI secret was created');
    const login = await clients.tryPodman('alice', ['login', '--tls-verify=false', '--authfile', clients.authFile('alice'),
      '-u', 'alice', '-p', secret, berth.hostPort]);
    assert.equal(login.code, 0, outputOf(login));
    assert.match(login.stdout, /Login Succeeded/i);

    const digestFile = join(work, 'push.digest');
    await clients.podman('build', ['push', '--quiet', '--tls-verify=false', '--authfile', clients.authFile('alice'),
      '--digestfile', digestFile, local, `${berth.hostPort}/team/app:1`]);
    const pushed = readFileSync(digestFile, 'utf8').trim();
    assert.match(pushed, /^sha256:[0-9a-f]{64}$/);

    const stored = await fetch(`${berth.url}/v2/team/app/manifests/1`, {
      headers: { accept: allManifestTypes, authorization: basicAuth('admin', adminPassword) },
    });
    const bytes = Buffer.from(await stored.arrayBuffer());
    assert.equal(stored.status, 200, bytes.toString());
    assert.equal(sha256Digest(bytes), pushed, 'Berth holds what podman pushed');
  });

  it('the same secret is no password for another user, and alice has no password of her own', { timeout }, async () => {
    assert.ok(secret !== '', 'the CLI secret was created');
    const asOther = await clients.tryLogin(berth.hostPort, 'other', 'admin', secret);
    assert.notEqual(asOther.code, 0, outputOf(asOther));
    const token = await fetch(`${berth.url}/auth/token?service=berth`, { headers: { authorization: basicAuth('alice', 'not-a-secret') } });
    assert.equal(token.status, 401);
    assert.match(await token.text(), /signs in through OpenID Connect/);
  });
});
