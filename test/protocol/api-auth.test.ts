import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import {
  type ApiClient, basic, createUser, errorMessage, expectStatus, startApiBerth, type ApiBerth,
} from '../support/api-client.js';

/** How /api/v1 tells who is calling: Basic credentials, browser sessions with their CSRF check, and refusals. */
describe('administration API: authentication', () => {
  let berth: ApiBerth;
  let alice: ApiClient;

  before(async () => {
    berth = await startApiBerth();
    alice = await createUser(berth.admin, 'alice');
  });
  after(async () => { await berth.close(); });

  const session = async (username: string): Promise<string> => {
    const user = expectStatus(await berth.admin.get(`/api/v1/users/${username}`), 200).body as { id: number };
    return (await berth.registry.berth.access.tokens.issueSession({ id: user.id, username })).token;
  };

  it('answers 401 saying how to authenticate when no credentials are sent, without a challenge a browser would prompt for', async () => {
    const response = expectStatus(await berth.anonymous.get('/api/v1/me'), 401, 'UNAUTHORIZED');
    assert.equal(response.headers.get('www-authenticate'), null);
    assert.match(errorMessage(response), /Basic credentials/);
  });

  it('answers 401 for a wrong password without a challenge, and does not say which part was wrong', async () => {
    const response = expectStatus(await berth.anonymous.as({ username: 'alice', password: 'wrong-password' }).get('/api/v1/me'), 401, 'UNAUTHORIZED');
    assert.equal(response.headers.get('www-authenticate'), null);
    assert.match(errorMessage(response), /invalid username or password/);
  });

  it('refuses registry bearer tokens and malformed Basic credentials with 401', async () => {
    expectStatus(await berth.anonymous.get('/api/v1/me', { authorization: 'Bearer abc.def.ghi' }), 401, 'UNAUTHORIZED');
    expectStatus(await berth.anonymous.get('/api/v1/me', { authorization: 'Basic !!!' }), 401, 'UNAUTHORIZED');
    expectStatus(await berth.anonymous.get('/api/v1/me', { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }), 401, 'UNAUTHORIZED');
  });

  it('accepts a user\'s password with Basic, without auditing a login for each call', async () => {
    const response = expectStatus(await alice.get('/api/v1/me'), 200);
    assert.deepEqual(response.body, {
      kind: 'user', username: 'alice', admin: false, source: 'local', email: null, displayName: null, groups: [],
    });
    const logins = expectStatus(await berth.admin.get('/api/v1/audit?actor=alice&action=login&outcome=ok'), 200).body.items;
    assert.deepEqual(logins, []);
  });

  it('accepts a browser session for reads', async () => {
    const cookie = `berth_session=${await session('alice')}`;
    const response = expectStatus(await berth.anonymous.as({ cookie }).get('/api/v1/me'), 200);
    assert.equal(response.body.username, 'alice');
  });

  it('refuses a session change without the CSRF header, or with one that does not match the cookie', async () => {
    const token = await session('alice');
    const withoutHeader = berth.anonymous.as({ cookie: `berth_session=${token}; berth_csrf=abc123` });
    const refused = expectStatus(await withoutHeader.post('/api/v1/users/me/cli-secrets', { name: 'x' }), 403, 'DENIED');
    assert.match(errorMessage(refused), /x-berth-csrf/);
    const mismatched = berth.anonymous.as({ cookie: `berth_session=${token}; berth_csrf=abc123`, csrf: 'abc124' });
    expectStatus(await mismatched.post('/api/v1/users/me/cli-secrets', { name: 'x' }), 403, 'DENIED');
    const noCookie = berth.anonymous.as({ cookie: `berth_session=${token}`, csrf: 'abc123' });
    expectStatus(await noCookie.post('/api/v1/users/me/cli-secrets', { name: 'x' }), 403, 'DENIED');
    const secrets = expectStatus(await alice.get('/api/v1/users/me/cli-secrets'), 200).body.items;
    assert.deepEqual(secrets, [], 'nothing was created');
  });

  it('accepts a session change that carries the matching CSRF header', async () => {
    const token = await session('alice');
    const client = berth.anonymous.as({ cookie: `berth_session=${token}; berth_csrf=s3cr3t-value`, csrf: 's3cr3t-value' });
    const created = expectStatus(await client.post('/api/v1/users/me/cli-secrets', { name: 'from-browser' }), 201);
    expectStatus(await client.delete(`/api/v1/users/me/cli-secrets/${created.body.id}`), 204);
  });

  it('refuses a forged or foreign session with 401', async () => {
    expectStatus(await berth.anonymous.as({ cookie: 'berth_session=not-a-jwt' }).get('/api/v1/me'), 401, 'UNAUTHORIZED');
    // A registry token is signed by the same key but has another audience: it is no session.
    const registryToken = await berth.registry.berth.access.tokens.issue({ kind: 'user', id: 1, username: 'admin', source: 'local', admin: true, groupIds: [] }, []);
    expectStatus(await berth.anonymous.as({ cookie: `berth_session=${registryToken.token}` }).get('/api/v1/me'), 401, 'UNAUTHORIZED');
  });

  it('ends the session of a user who is disabled, and of one who is deleted', async () => {
    await createUser(berth.admin, 'carol');
    const cookie = `berth_session=${await session('carol')}`;
    const client = berth.anonymous.as({ cookie });
    expectStatus(await client.get('/api/v1/me'), 200);
    expectStatus(await berth.admin.patch('/api/v1/users/carol', { disabled: true }), 200);
    expectStatus(await client.get('/api/v1/me'), 401, 'UNAUTHORIZED');
    expectStatus(await berth.admin.delete('/api/v1/users/carol'), 204);
    expectStatus(await client.get('/api/v1/me'), 401, 'UNAUTHORIZED');
  });

  it('refuses a disabled user\'s Basic credentials', async () => {
    const dave = await createUser(berth.admin, 'dave');
    expectStatus(await dave.get('/api/v1/me'), 200);
    expectStatus(await berth.admin.patch('/api/v1/users/dave', { disabled: true }), 200);
    expectStatus(await dave.get('/api/v1/me'), 401, 'UNAUTHORIZED');
  });

  it('prefers the Authorization header to a cookie, with no CSRF check then', async () => {
    const response = await alice.post('/api/v1/users/me/cli-secrets', { name: 'basic-wins' }, { cookie: 'berth_session=garbage' });
    expectStatus(response, 201);
  });

  it('refuses changes a browser marks as coming from another site', async () => {
    const response = expectStatus(await alice.post('/api/v1/users/me/cli-secrets', { name: 'csrf' }, { 'sec-fetch-site': 'cross-site' }), 403, 'DENIED');
    assert.match(errorMessage(response), /another site/);
    expectStatus(await alice.get('/api/v1/me', { 'sec-fetch-site': 'cross-site' }), 200);
    expectStatus(await alice.post('/api/v1/users/me/cli-secrets', { name: 'same-origin' }, { 'sec-fetch-site': 'same-origin' }), 201);
  });

  it('answers an unknown path under /api/v1 with NOT_FOUND pointing at the description', async () => {
    const response = expectStatus(await berth.admin.get('/api/v1/nothing-here'), 404, 'NOT_FOUND');
    assert.match(errorMessage(response), /openapi\.json/);
  });
});

describe('administration API: brute-force limits', () => {
  let berth: ApiBerth;
  before(async () => { berth = await startApiBerth({ auth: { lockout: { maxFailuresPerAccount: 3 } } }); });
  after(async () => { await berth.close(); });

  it('answers 429 once an account has failed too often, even with the right password', async () => {
    const wrong = berth.anonymous.as({ username: 'admin', password: 'wrong-password' });
    for (let i = 0; i < 3; i++) expectStatus(await wrong.get('/api/v1/me'), 401, 'UNAUTHORIZED');
    const response = expectStatus(await berth.admin.get('/api/v1/me'), 429, 'TOOMANYREQUESTS');
    assert.ok(response.headers.get('retry-after'));
  });
});

describe('administration API: with access control off', () => {
  let registry: InProcessBerth;
  before(async () => { registry = await startInProcess(); });
  after(async () => { await registry.close(); });

  it('refuses every endpoint with DENIED saying how to turn access control on', async () => {
    for (const [method, path] of [['GET', '/api/v1/me'], ['GET', '/api/v1/users'], ['POST', '/api/v1/projects'], ['GET', '/api/v1/audit']] as const) {
      const response = await fetch(`${registry.url}${path}`, { method, headers: { authorization: basic('admin', 'whatever1') } });
      assert.equal(response.status, 403, `${method} ${path}`);
      const body = await response.json() as { errors: { code: string; message: string }[] };
      assert.equal(body.errors[0]!.code, 'DENIED');
      assert.match(body.errors[0]!.message, /access control is off.*BERTH_ADMIN_PASSWORD/);
    }
  });

  it('still serves the OpenAPI document', async () => {
    const response = await fetch(`${registry.url}/api/v1/openapi.json`);
    assert.equal(response.status, 200);
    const document = await response.json() as { openapi: string };
    assert.equal(document.openapi, '3.1.0');
  });
});
