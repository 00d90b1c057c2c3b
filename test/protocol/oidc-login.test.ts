import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { safeReturnPath } from '../../src/http/routes/oidc-routes.js';
import { freePort } from '../support/free-port.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { completeOidcLogin } from '../support/oidc-login-driver.js';
import { startOidcProvider, type OidcProviderHandle, type OidcProviderOptions } from '../support/oidc-provider.js';

const adminPassword = 'oidc-test-admin-password';
const clientId = 'berth';
const clientSecret = 'berth-oidc-test-secret';
const users: OidcProviderOptions['users'] = {
  alice: { email: 'alice@example.com', name: 'Alice Liddell', groups: ['developers', 'unmapped'] },
  carol: { email: 'carol@example.com', name: 'Carol Ops', groups: ['registry-admins'] },
  // Also a local user in Berth: the provider vouching for "bob" must not make someone the local bob.
  bob: { email: 'bob@example.com', groups: [] },
  mallory: { name: '<img src=x onerror=alert(1)> & "friends"', groups: [] },
  dora: { email: 'dora@example.com', groups: [] },
};

interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly attributes: Map<string, string>;
}

/** Set-Cookie lines by cookie name, with their attributes (lower-case names; flags map to ''). */
function setCookies(response: Response): Map<string, Cookie> {
  const cookies = new Map<string, Cookie>();
  for (const line of response.headers.getSetCookie()) {
    const [pair = '', ...rest] = line.split(';').map((part) => part.trim());
    const equals = pair.indexOf('=');
    const attributes = new Map<string, string>();
    for (const attribute of rest) {
      const at = attribute.indexOf('=');
      attributes.set((at === -1 ? attribute : attribute.slice(0, at)).toLowerCase(), at === -1 ? '' : attribute.slice(at + 1));
    }
    cookies.set(pair.slice(0, equals), { name: pair.slice(0, equals), value: pair.slice(equals + 1), attributes });
  }
  return cookies;
}

function cookieHeader(cookies: Record<string, string | undefined>): string {
  return Object.entries(cookies).filter(([, value]) => value !== undefined).map(([name, value]) => `${name}=${value}`).join('; ');
}

async function errorOf(response: Response): Promise<{ error: string; message: string }> {
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const body = await response.json() as { errors: { code: string; message: string; detail: { reason: string } }[] };
  return { error: body.errors[0]!.detail.reason, message: body.errors[0]!.message };
}

/** The first half of a sign-in: Berth's redirect to the provider, and the state cookie it set. */
async function startLogin(berthUrl: string, returnTo?: string): Promise<{ location: string; stateCookie: Cookie }> {
  const query = returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`;
  const response = await fetch(`${berthUrl}/auth/oidc/login${query}`, { redirect: 'manual' });
  assert.equal(response.status, 302, await response.clone().text());
  const stateCookie = setCookies(response).get('berth_oidc');
  assert.ok(stateCookie, 'the login sets the berth_oidc cookie');
  return { location: response.headers.get('location')!, stateCookie };
}

/** A whole sign-in as a browser makes it; answers the callback's response and what it took. */
async function signIn(berthUrl: string, username: string, returnTo?: string) {
  const { location, stateCookie } = await startLogin(berthUrl, returnTo);
  const callbackUrl = await completeOidcLogin(location, username);
  const response = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: cookieHeader({ berth_oidc: stateCookie.value }) } });
  return { response, callbackUrl, stateCookie, cookies: setCookies(response) };
}

describe('OpenID Connect sign-in', () => {
  let provider: OidcProviderHandle;
  let berth: InProcessBerth;
  let developersGroupId: number;

  before(async () => {
    // Berth's port first: the provider only redirects to registered callback URLs.
    const port = await freePort();
    provider = await startOidcProvider({
      clients: [{ clientId, clientSecret, redirectUris: [`http://127.0.0.1:${port}/auth/oidc/callback`] }],
      users,
    });
    berth = await startInProcess({
      listen: `127.0.0.1:${port}`,
      auth: {
        adminPassword,
        oidc: {
          issuer: provider.issuer, clientId, clientSecret, scopes: ['openid', 'profile', 'email', 'groups'],
          adminGroup: 'registry-admins', displayName: 'Test IdP',
        },
      },
    });
    const store = berth.berth.access.store;
    developersGroupId = (await store.createGroup({ name: 'devs', source: 'oidc', externalName: 'developers', now: Date.now() })).id;
    await store.createUser({ username: 'bob', source: 'local', admin: false, now: Date.now() });
  });

  after(async () => {
    await berth?.close();
    await provider?.stop();
  });

  it('sends the browser to the provider with a sealed state cookie for the OIDC routes only', async () => {
    const { location, stateCookie } = await startLogin(berth.url);
    const url = new URL(location);
    assert.equal(url.origin, provider.issuer);
    assert.equal(url.searchParams.get('redirect_uri'), `${berth.url}/auth/oidc/callback`);
    assert.equal(url.searchParams.get('client_id'), clientId);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(stateCookie.attributes.get('path'), '/auth/oidc');
    assert.equal(stateCookie.attributes.get('max-age'), '600');
    assert.ok(stateCookie.attributes.has('httponly'));
    assert.equal(stateCookie.attributes.get('samesite'), 'Lax');
    assert.ok(!stateCookie.attributes.has('secure'), 'not Secure over plain http');
  });

  it('signs in, sets the session and CSRF cookies, and returns to the sign-in page', async () => {
    const { response, cookies } = await signIn(berth.url, 'alice');
    assert.equal(response.status, 302, await response.text());
    assert.equal(response.headers.get('location'), '/auth/oidc/done');

    const session = cookies.get('berth_session');
    assert.ok(session, 'berth_session is set');
    assert.equal(session.attributes.get('path'), '/');
    assert.ok(session.attributes.has('httponly'));
    assert.equal(session.attributes.get('samesite'), 'Lax');
    const maxAge = Number(session.attributes.get('max-age'));
    assert.ok(maxAge > 11 * 3600 && maxAge <= 12 * 3600, `Max-Age is the session's lifetime: ${maxAge}`);

    const csrf = cookies.get('berth_csrf');
    assert.ok(csrf, 'berth_csrf is set');
    assert.match(csrf.value, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!csrf.attributes.has('httponly'), 'pages read the CSRF cookie to echo it');
    assert.equal(csrf.attributes.get('path'), '/');
    assert.equal(csrf.attributes.get('samesite'), 'Lax');
    assert.equal(csrf.attributes.get('max-age'), session.attributes.get('max-age'));

    const cleared = cookies.get('berth_oidc');
    assert.equal(cleared?.attributes.get('max-age'), '0', 'the state cookie is removed');
    assert.equal(cleared?.attributes.get('path'), '/auth/oidc');

    const me = await fetch(`${berth.url}/api/v1/me`, { headers: { cookie: cookieHeader({ berth_session: session.value }) } });
    assert.equal(me.status, 200, await me.clone().text());
    assert.equal((await me.json() as { username: string }).username, 'alice');

    const done = await fetch(`${berth.url}/auth/oidc/done`, { headers: { cookie: cookieHeader({ berth_session: session.value }) } });
    assert.equal(done.status, 200);
    assert.match(done.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(done.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const page = await done.text();
    assert.match(page, /Alice Liddell/);
    assert.match(page, /docker login --username alice 127\.0\.0\.1:\d+/);
    assert.match(page, /podman login --tls-verify=false --username alice 127\.0\.0\.1:\d+/);
    assert.match(page, /\/api\/v1\/users\/me\/cli-secrets/);
    assert.doesNotMatch(page, /<(link|img|iframe)\b|src="http/, 'no external assets');
  });

  it('creates the user from the provider\'s identity and maps its groups', async () => {
    const store = berth.berth.access.store;
    const alice = await store.userByName('alice');
    assert.ok(alice);
    assert.equal(alice.source, 'oidc');
    assert.equal(alice.email, 'alice@example.com');
    assert.equal(alice.displayName, 'Alice Liddell');
    assert.equal(alice.admin, false);
    assert.equal(alice.passwordHash, undefined);
    assert.ok(alice.lastLoginAt !== undefined);
    assert.deepEqual(await store.groupIdsOf(alice.id), [developersGroupId], 'only the mapped group; "unmapped" is ignored');
  });

  it('makes members of the admin group system administrators', async () => {
    const { response } = await signIn(berth.url, 'carol');
    assert.equal(response.status, 302);
    const carol = await berth.berth.access.store.userByName('carol');
    assert.equal(carol?.admin, true);
  });

  it('brings the user up to date at the next sign-in', async () => {
    const store = berth.berth.access.store;
    const alice = (await store.userByName('alice'))!;
    await store.updateUser(alice.id, { email: 'old@example.com', displayName: 'Old Name', admin: true, now: Date.now() });
    await store.setProviderGroups(alice.id, 'oidc', []);
    const { response } = await signIn(berth.url, 'alice');
    assert.equal(response.status, 302);
    const updated = (await store.userByName('alice'))!;
    assert.equal(updated.id, alice.id, 'the same user');
    assert.equal(updated.email, 'alice@example.com');
    assert.equal(updated.displayName, 'Alice Liddell');
    assert.equal(updated.admin, false, 'not in the admin group any more');
    assert.deepEqual(await store.groupIdsOf(alice.id), [developersGroupId]);
  });

  it('refuses a callback without the state cookie', async () => {
    const { location } = await startLogin(berth.url);
    const callbackUrl = await completeOidcLogin(location, 'alice');
    const response = await fetch(callbackUrl, { redirect: 'manual' });
    assert.equal(response.status, 400);
    const body = await errorOf(response);
    assert.equal(body.error, 'state_mismatch');
    assert.match(body.message, /no sign-in in progress/);
    assert.equal(setCookies(response).get('berth_session'), undefined);
  });

  it('refuses a tampered state cookie', async () => {
    const { location, stateCookie } = await startLogin(berth.url);
    const callbackUrl = await completeOidcLogin(location, 'alice');
    const [header, payload, signature] = stateCookie.value.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { login: Record<string, string> };
    claims.login.returnTo = '//evil.example';
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const response = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: cookieHeader({ berth_oidc: forged }) } });
    assert.equal(response.status, 400);
    const body = await errorOf(response);
    assert.equal(body.error, 'state_mismatch');
    assert.match(body.message, /altered/);
  });

  it('refuses a session or another login\'s state in place of the state cookie', async () => {
    const { location } = await startLogin(berth.url);
    const callbackUrl = await completeOidcLogin(location, 'alice');
    const session = await berth.berth.access.tokens.issueSession({ id: 1, username: 'admin' });
    const asSession = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: cookieHeader({ berth_oidc: session.token }) } });
    assert.equal(asSession.status, 400);
    assert.equal((await errorOf(asSession)).error, 'state_mismatch');

    const other = await startLogin(berth.url);
    const asOther = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: cookieHeader({ berth_oidc: other.stateCookie.value }) } });
    assert.equal(asOther.status, 400);
    assert.equal((await errorOf(asOther)).error, 'state_mismatch');
    assert.equal(setCookies(asOther).get('berth_oidc'), undefined, 'the other login\'s cookie is left for its own callback');
  });

  it('refuses a replayed callback', async () => {
    const { response, callbackUrl, stateCookie } = await signIn(berth.url, 'alice');
    assert.equal(response.status, 302);
    const replay = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: cookieHeader({ berth_oidc: stateCookie.value }) } });
    assert.equal(replay.status, 400);
    const body = await errorOf(replay);
    assert.equal(body.error, 'code_rejected');
    assert.equal(setCookies(replay).get('berth_session'), undefined);
    assert.equal(setCookies(replay).get('berth_oidc')?.attributes.get('max-age'), '0');
  });

  it('refuses a user whose name belongs to a local user', async () => {
    const { response } = await signIn(berth.url, 'bob');
    assert.equal(response.status, 403);
    const body = await errorOf(response);
    assert.equal(body.error, 'name_taken');
    assert.match(body.message, /local user named "bob".*rename or remove/);
    assert.equal(setCookies(response).get('berth_session'), undefined);
    const bob = await berth.berth.access.store.userByName('bob');
    assert.equal(bob?.source, 'local', 'the local user is untouched');
    assert.equal(bob?.email, undefined);
  });

  it('refuses a disabled user', async () => {
    const store = berth.berth.access.store;
    const first = await signIn(berth.url, 'dora');
    assert.equal(first.response.status, 302);
    const dora = (await store.userByName('dora'))!;
    await store.updateUser(dora.id, { disabled: true, now: Date.now() });
    const { response } = await signIn(berth.url, 'dora');
    assert.equal(response.status, 403);
    assert.equal((await errorOf(response)).error, 'user_disabled');
    const done = await fetch(`${berth.url}/auth/oidc/done`, { headers: { cookie: cookieHeader({ berth_session: first.cookies.get('berth_session')!.value }) } });
    assert.match(await done.text(), /Not signed in/, 'a disabled user\'s session no longer counts');
  });

  it('does not follow a return path to another site', async () => {
    const evil = await signIn(berth.url, 'alice', '//evil.example/steal');
    assert.equal(evil.response.status, 302);
    assert.equal(evil.response.headers.get('location'), '/auth/oidc/done');

    const local = await signIn(berth.url, 'alice', '/projects/team?tab=members');
    assert.equal(local.response.headers.get('location'), '/projects/team?tab=members');

    for (const unsafe of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'evil.example', '/a\r\nSet-Cookie: x=1', '', '/ü']) {
      assert.equal(safeReturnPath(unsafe), '/auth/oidc/done', JSON.stringify(unsafe));
    }
    assert.equal(safeReturnPath('/'), '/');
  });

  it('escapes what it prints on the signed-in page', async () => {
    const { cookies } = await signIn(berth.url, 'mallory');
    const done = await fetch(`${berth.url}/auth/oidc/done`, { headers: { cookie: cookieHeader({ berth_session: cookies.get('berth_session')!.value }) } });
    const page = await done.text();
    assert.doesNotMatch(page, /<img/);
    assert.match(page, /&#60;img src=x onerror=alert\(1\)&#62; &#38; &#34;friends&#34;/);
  });

  it('says when nobody is signed in', async () => {
    const done = await fetch(`${berth.url}/auth/oidc/done`, { headers: { cookie: 'berth_session=not-a-session' } });
    assert.equal(done.status, 200);
    const page = await done.text();
    assert.match(page, /Not signed in/);
    assert.match(page, /Sign in with Test IdP/);
  });

  it('answers a browser with a page', async () => {
    const { location } = await startLogin(berth.url);
    const callbackUrl = await completeOidcLogin(location, 'alice');
    const response = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html' } });
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await response.text(), /Sign-in with Test IdP failed[\s\S]*Sign in again/);
  });

  it('signs out by removing the cookies', async () => {
    const response = await fetch(`${berth.url}/auth/logout`, { method: 'POST' });
    assert.equal(response.status, 204);
    const cookies = setCookies(response);
    for (const [name, path] of [['berth_session', '/'], ['berth_csrf', '/'], ['berth_oidc', '/auth/oidc']] as const) {
      assert.equal(cookies.get(name)?.value, '', name);
      assert.equal(cookies.get(name)?.attributes.get('max-age'), '0', name);
      assert.equal(cookies.get(name)?.attributes.get('path'), path, name);
    }
  });

  it('ends a signed-out session on the server: a copy of its cookie no longer works', async () => {
    const { cookies } = await signIn(berth.url, 'alice');
    const session = cookies.get('berth_session')!.value;
    const me = () => fetch(`${berth.url}/api/v1/me`, { headers: { cookie: cookieHeader({ berth_session: session }) } });
    assert.equal((await me()).status, 200);
    const out = await fetch(`${berth.url}/auth/logout`, { method: 'POST', headers: { cookie: cookieHeader({ berth_session: session }) } });
    assert.equal(out.status, 204);
    const after = await me();
    assert.equal(after.status, 401);
    assert.match(await after.text(), /signed out/);
  });

  it('audits sign-ins and refusals', async () => {
    const audit = berth.berth.access.audit;
    const ok = await audit.query({ action: 'login', actor: 'alice', limit: 50 });
    assert.ok(ok.length >= 2, `alice's sign-ins are audited: ${ok.length}`);
    assert.equal(ok[0]!.outcome, 'ok');
    assert.equal(ok[0]!.actorKind, 'user');
    assert.deepEqual(ok[0]!.detail, { channel: 'oidc' });
    assert.ok(ok[0]!.address);

    const failed = await audit.query({ action: 'login.failed', limit: 100 });
    const reasons = failed.map((event) => `${event.actor}:${(event.detail as { reason?: string }).reason}`);
    assert.ok(reasons.includes('bob:name_taken'), reasons.join(' '));
    assert.ok(reasons.includes('dora:user_disabled'), reasons.join(' '));
    assert.ok(reasons.includes('anonymous:state_mismatch'), reasons.join(' '));
    assert.ok(reasons.includes('anonymous:code_rejected'), reasons.join(' '));
    for (const event of failed) {
      assert.equal(event.outcome, 'failed');
      assert.equal((event.detail as { channel?: string }).channel, 'oidc');
    }
  });
});

describe('OpenID Connect sign-in when the provider is down', () => {
  let provider: OidcProviderHandle | undefined;
  let berth: InProcessBerth;

  before(async () => {
    const port = await freePort();
    provider = await startOidcProvider({
      clients: [{ clientId, clientSecret, redirectUris: [`http://127.0.0.1:${port}/auth/oidc/callback`] }],
      users,
    });
    berth = await startInProcess({
      listen: `127.0.0.1:${port}`,
      auth: { adminPassword, oidc: { issuer: provider.issuer, clientId, clientSecret } },
    });
  });

  after(async () => {
    await berth?.close();
    await provider?.stop();
  });

  it('answers 503 when the provider stops answering during a sign-in', async () => {
    const { location, stateCookie } = await startLogin(berth.url);
    const callbackUrl = await completeOidcLogin(location, 'alice');
    await provider!.stop();
    provider = undefined;

    const callback = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: cookieHeader({ berth_oidc: stateCookie.value }) } });
    assert.equal(callback.status, 503);
    const body = await errorOf(callback);
    assert.equal(body.error, 'provider_unavailable');
    assert.match(body.message, /did not answer/);
    assert.equal(setCookies(callback).get('berth_session'), undefined);

    const failed = await berth.berth.access.audit.query({ action: 'login.failed', limit: 10 });
    assert.equal((failed[0]?.detail as { reason?: string } | undefined)?.reason, 'provider_unavailable');
  });

  it('answers 503 at the start when the provider cannot be discovered', async () => {
    const berthDown = await startInProcess({
      auth: { adminPassword, oidc: { issuer: `http://127.0.0.1:${await freePort()}`, clientId, clientSecret, timeoutSeconds: 2 } },
    });
    try {
      const response = await fetch(`${berthDown.url}/auth/oidc/login`, { redirect: 'manual' });
      assert.equal(response.status, 503);
      const body = await errorOf(response);
      assert.equal(body.error, 'provider_unavailable');
      assert.match(body.message, /Could not reach the OpenID provider/);
      assert.equal(setCookies(response).get('berth_oidc'), undefined);
    } finally {
      await berthDown.close();
    }
  });
});

describe('OpenID Connect sign-in when it is not configured', () => {
  let berth: InProcessBerth;
  before(async () => { berth = await startInProcess({ auth: { adminPassword } }); });
  after(() => berth?.close());

  it('answers 404 saying so', async () => {
    for (const path of ['/auth/oidc/login', '/auth/oidc/callback?code=x&state=y', '/auth/oidc/done']) {
      const response = await fetch(`${berth.url}${path}`, { redirect: 'manual' });
      assert.equal(response.status, 404, path);
      const body = await errorOf(response);
      assert.equal(body.error, 'oidc_not_configured');
      assert.match(body.message, /OpenID Connect sign-in is not configured/);
    }
  });

  it('still signs out', async () => {
    const response = await fetch(`${berth.url}/auth/logout`, { method: 'POST' });
    assert.equal(response.status, 204);
  });
});
