import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessFixtures } from '../support/access-fixtures.js';
import {
  ApiClient, adminPassword, createUser, expectStatus, startApiBerth, type ApiBerth,
} from '../support/api-client.js';

/**
 * Password sign-in for the web UI (`POST /auth/login`): local users get the session and CSRF cookies an OpenID
 * Connect sign-in sets, robots and disabled users get none, and the endpoint reads JSON only, of bounded size,
 * from this site only.
 */
describe('password sign-in for browsers', () => {
  let berth: ApiBerth;
  let url: string;

  before(async () => {
    berth = await startApiBerth();
    url = berth.registry.url;
    await createUser(berth.admin, 'alice', { password: 'alice-password-1' });
    const bob = await createUser(berth.admin, 'bob', { password: 'bob-password-1' });
    assert.ok(bob);
    expectStatus(await berth.admin.patch('/api/v1/users/bob', { disabled: true }), 200);
  });
  after(async () => { await berth.close(); });

  const login = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> =>
    fetch(`${url}/auth/login`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  const errorOf = async (response: Response): Promise<{ code: string; message: string }> =>
    ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!;

  /** name=value of each Set-Cookie line, with its attributes. */
  const cookiesOf = (response: Response): Map<string, { value: string; attributes: string[] }> => {
    const cookies = new Map<string, { value: string; attributes: string[] }>();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const equals = pair!.indexOf('=');
      cookies.set(pair!.slice(0, equals), { value: pair!.slice(equals + 1), attributes });
    }
    return cookies;
  };

  it('GET /auth/methods offers password sign-in and no OpenID Connect when none is configured', async () => {
    const response = await fetch(`${url}/auth/methods`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { password: true, oidc: null });
  });

  it('a local user signs in: 200 with who they are, an HttpOnly SameSite session cookie and a readable CSRF cookie', async () => {
    const response = await login({ username: 'alice', password: 'alice-password-1' });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), { username: 'alice', admin: false });
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const cookies = cookiesOf(response);
    const session = cookies.get('berth_session');
    const csrf = cookies.get('berth_csrf');
    assert.ok(session && session.value.length > 20, 'a session cookie');
    assert.ok(csrf && csrf.value.length >= 32, 'a CSRF cookie');
    assert.ok(session.attributes.includes('HttpOnly'), `the session is out of scripts' reach: ${session.attributes}`);
    assert.ok(session.attributes.includes('SameSite=Lax'));
    assert.ok(session.attributes.includes('Path=/'));
    assert.ok(!csrf.attributes.includes('HttpOnly'), 'pages read the CSRF cookie to echo it');
    assert.ok(csrf.attributes.includes('SameSite=Lax'));
    assert.ok(session.attributes.some((attribute) => /^Max-Age=\d+$/.test(attribute)));
  });

  it('the session reads /api/v1, and its CSRF cookie lets it make a change, which without the header is refused', async () => {
    const cookies = cookiesOf(await login({ username: 'alice', password: 'alice-password-1' }));
    const cookie = `berth_session=${cookies.get('berth_session')!.value}; berth_csrf=${cookies.get('berth_csrf')!.value}`;
    const browser = new ApiClient(url, { cookie, csrf: cookies.get('berth_csrf')!.value });
    assert.equal(expectStatus(await browser.get('/api/v1/me'), 200).body.username, 'alice');
    expectStatus(await browser.post('/api/v1/users/me/cli-secrets', { name: 'laptop' }), 201);
    expectStatus(await browser.as({ cookie }).post('/api/v1/users/me/cli-secrets', { name: 'forged' }), 403, 'DENIED');
  });

  it('signing out ends the session: the old cookie is refused afterwards', async () => {
    const cookies = cookiesOf(await login({ username: 'alice', password: 'alice-password-1' }));
    const cookie = `berth_session=${cookies.get('berth_session')!.value}`;
    const browser = new ApiClient(url, { cookie });
    expectStatus(await browser.get('/api/v1/me'), 200);
    const out = await fetch(`${url}/auth/logout`, { method: 'POST', headers: { cookie } });
    assert.equal(out.status, 204);
    expectStatus(await browser.get('/api/v1/me'), 401, 'UNAUTHORIZED');
  });

  it('a wrong password is 401 UNAUTHORIZED with no cookie', async () => {
    const response = await login({ username: 'alice', password: 'not-her-password' });
    assert.equal(response.status, 401);
    assert.equal((await errorOf(response)).code, 'UNAUTHORIZED');
    assert.deepEqual(response.headers.getSetCookie(), []);
    const unknown = await login({ username: 'nobody', password: 'whatever-password' });
    assert.equal(unknown.status, 401);
  });

  it('the sign-in is audited as a login', async () => {
    await login({ username: 'alice', password: 'alice-password-1' });
    const events = expectStatus(await berth.admin.get('/api/v1/audit?actor=alice&action=login&n=10'), 200).body.items as { detail: { channel?: string } }[];
    assert.ok(events.some((event) => event.detail?.channel === 'api'), JSON.stringify(events));
  });

  it('a disabled user is refused, with no cookie', async () => {
    const response = await login({ username: 'bob', password: 'bob-password-1' });
    assert.equal(response.status, 401);
    assert.match((await errorOf(response)).message, /disabled/);
    assert.deepEqual(response.headers.getSetCookie(), []);
  });

  it('a robot account is refused: robots do not get browser sessions', async () => {
    const robot = await new AccessFixtures(berth.registry.berth).robot('ci', [{ project: '*', actions: ['pull'] }]);
    const response = await login({ username: robot.username, password: robot.secret });
    assert.equal(response.status, 403);
    const error = await errorOf(response);
    assert.equal(error.code, 'DENIED');
    assert.match(error.message, /robot accounts cannot sign in/);
    assert.deepEqual(response.headers.getSetCookie(), []);
  });

  it('the administrator signs in as an administrator', async () => {
    const response = await login({ username: 'admin', password: adminPassword });
    assert.deepEqual(await response.json(), { username: 'admin', admin: true });
  });

  it('refuses bodies that are not JSON with 415: text/plain, forms and untyped bodies any page could send', async () => {
    const json = JSON.stringify({ username: 'alice', password: 'alice-password-1' });
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {}]) {
      const response = await login(json, headers as Record<string, string>);
      assert.equal(response.status, 415, JSON.stringify(headers));
      assert.equal((await errorOf(response)).code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.deepEqual(response.headers.getSetCookie(), []);
    }
  });

  it('refuses malformed JSON and wrong shapes with 400 naming the problem', async () => {
    const cases: [string, RegExp][] = [
      ['{"username": "alice", ', /not valid JSON/],
      ['', /not valid JSON/],
      ['[]', /body/],
      ['{"username": "alice"}', /body\.password/],
      ['{"username": "alice", "password": "alice-password-1", "admin": true}', /unknown field "admin"/],
      ['{"username": 5, "password": "x"}', /body\.username/],
      [JSON.stringify({ username: 'alice', password: 'x'.repeat(5000) }), /at most 4096/],
    ];
    for (const [body, message] of cases) {
      const response = await login(body);
      assert.equal(response.status, 400, body.slice(0, 80));
      const error = await errorOf(response);
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.match(error.message, message);
    }
  });

  it('refuses a body past 16 KiB with 413, declared or streamed', async () => {
    const big = JSON.stringify({ username: 'alice', password: 'alice-password-1', padding: 'x'.repeat(20_000) });
    const response = await login(big);
    assert.equal(response.status, 413);
    // Berth's TOO_LARGE goes on the wire as the spec's code for a size refusal.
    assert.equal((await errorOf(response)).code, 'SIZE_INVALID');
    const streamed = await fetch(`${url}/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, duplex: 'half',
      body: new ReadableStream({ start(controller) { controller.enqueue(new TextEncoder().encode(big)); controller.close(); } }),
    } as RequestInit);
    assert.equal(streamed.status, 413);
  });

  it('refuses a sign-in the browser marks as sent by another site', async () => {
    const response = await login({ username: 'alice', password: 'alice-password-1' },
      { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' });
    assert.equal(response.status, 403);
    assert.equal((await errorOf(response)).code, 'DENIED');
    assert.deepEqual(response.headers.getSetCookie(), []);
  });
});

describe('password sign-in on a registry without access control', () => {
  let berth: Awaited<ReturnType<typeof import('../support/in-process.js').startInProcess>>;
  before(async () => {
    const { startInProcess } = await import('../support/in-process.js');
    berth = await startInProcess();
  });
  after(async () => { await berth.close(); });

  it('offers no sign-in method and answers a sign-in 404 saying everything is open', async () => {
    assert.deepEqual(await (await fetch(`${berth.url}/auth/methods`)).json(), { password: false, oidc: null });
    const response = await fetch(`${berth.url}/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'a', password: 'b' }),
    });
    assert.equal(response.status, 404);
    assert.match(await response.text(), /access control is off/);
  });
});
