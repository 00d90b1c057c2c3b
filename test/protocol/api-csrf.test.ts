import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  adminPassword, basic, createProject, errorMessage, expectStatus, startApiBerth, type ApiBerth,
} from '../support/api-client.js';

/**
 * /api/v1 attacked as a web page on another site would, through a browser that holds the administrator's Basic
 * credentials: such a page may send text/plain, form and multipart bodies (and untyped ones) without a CORS
 * preflight. Each of these must be refused before it changes anything, and the API must never get a browser to
 * prompt for a password and keep it.
 */
describe('administration API: requests another site could forge', () => {
  let berth: ApiBerth;
  let url: string;
  const adminAuth = basic('admin', adminPassword);

  before(async () => {
    berth = await startApiBerth();
    url = berth.registry.url;
    await createProject(berth.admin, 'team');
    expectStatus(await berth.admin.post('/api/v1/robots', { name: 'ci', permissions: [{ project: 'team', actions: ['pull'] }] }), 201);
  });
  after(async () => { await berth.close(); });

  const userExists = async (username: string): Promise<boolean> => (await berth.admin.get(`/api/v1/users/${username}`)).status === 200;
  const send = async (path: string, init: RequestInit): Promise<{ status: number; code?: string; message?: string }> => {
    const response = await fetch(`${url}${path}`, { method: 'POST', ...init });
    const text = await response.text();
    const error = text === '' ? undefined : (JSON.parse(text) as { errors?: { code: string; message: string }[] }).errors?.[0];
    return { status: response.status, ...(error && { code: error.code, message: error.message }) };
  };

  it('refuses a text/plain body holding JSON with 415, creating no administrator', async () => {
    const body = JSON.stringify({ username: 'mallory', password: 'mallory-password', admin: true });
    const refused = await send('/api/v1/users', { headers: { authorization: adminAuth, 'content-type': 'text/plain' }, body });
    assert.equal(refused.status, 415);
    assert.equal(refused.code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(refused.message ?? '', /not text\/plain: send the body with Content-Type: application\/json/);
    assert.equal(await userExists('mallory'), false);
    // What fetch sends for a string body by default, as a form with enctype="text/plain" does.
    assert.equal((await send('/api/v1/users', { headers: { authorization: adminAuth }, body })).status, 415);
    assert.equal(await userExists('mallory'), false);
  });

  it('refuses a text/plain body to the projects endpoint too, creating no project', async () => {
    const refused = await send('/api/v1/projects', {
      headers: { authorization: adminAuth, 'content-type': 'text/plain;charset=UTF-8' }, body: JSON.stringify({ name: 'forged', public: true }),
    });
    assert.equal(refused.status, 415);
    expectStatus(await berth.admin.get('/api/v1/projects/forged'), 404);
  });

  it('refuses form-encoded and multipart bodies with 415', async () => {
    const form = new URLSearchParams({ username: 'mallory', password: 'mallory-password' });
    const urlEncoded = await send('/api/v1/users', { headers: { authorization: adminAuth }, body: form });
    assert.equal(urlEncoded.status, 415);
    assert.match(urlEncoded.message ?? '', /not application\/x-www-form-urlencoded/);
    const multipart = new FormData();
    multipart.set('username', 'mallory');
    multipart.set('password', 'mallory-password');
    const refused = await send('/api/v1/users', { headers: { authorization: adminAuth }, body: multipart });
    assert.equal(refused.status, 415);
    assert.match(refused.message ?? '', /not multipart\/form-data/);
    assert.equal(await userExists('mallory'), false);
  });

  it('refuses a body sent without any Content-Type with 415', async () => {
    const body = new Blob([JSON.stringify({ username: 'mallory', password: 'mallory-password' })]);
    const refused = await send('/api/v1/users', { headers: { authorization: adminAuth }, body });
    assert.equal(refused.status, 415);
    assert.match(refused.message ?? '', /without a Content-Type/);
    assert.equal(await userExists('mallory'), false);
  });

  it('refuses a forged change to an endpoint that takes no body', async () => {
    const refused = await send('/api/v1/robots/robot$ci/revoke', { headers: { authorization: adminAuth, 'content-type': 'text/plain' }, body: '' });
    assert.equal(refused.status, 415);
    const robot = expectStatus(await berth.admin.get('/api/v1/robots/robot$ci'), 200).body as { revokedAt: string | null };
    assert.equal(robot.revokedAt, null, 'the robot was not revoked');
  });

  it('refuses a change a browser marks as cross-site, even with a JSON body', async () => {
    const refused = await send('/api/v1/users', {
      headers: { authorization: adminAuth, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify({ username: 'mallory', password: 'mallory-password' }),
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.code, 'DENIED');
    assert.equal(await userExists('mallory'), false);
  });

  it('answers unauthenticated calls 401 without a Basic challenge a browser would prompt for', async () => {
    for (const [method, path] of [['GET', '/api/v1/me'], ['GET', '/api/v1/users'], ['POST', '/api/v1/projects']] as const) {
      const response = await fetch(`${url}${path}`, {
        method, ...(method === 'POST' && { headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' }),
      });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.headers.get('www-authenticate'), null, `${method} ${path}`);
      const message = ((await response.json()) as { errors: { message: string }[] }).errors[0]!.message;
      assert.match(message, /send Basic credentials/, 'the body still says how to authenticate');
    }
    const wrong = await fetch(`${url}/api/v1/me`, { headers: { authorization: basic('admin', 'not-the-password') } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), null);
  });

  it('accepts JSON with a charset, a +json type, and a bodyless change without a type', async () => {
    const created = await send('/api/v1/users', {
      headers: { authorization: adminAuth, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ username: 'carol', password: 'carol-password' }),
    });
    assert.equal(created.status, 201);
    const patched = await fetch(`${url}/api/v1/users/carol`, {
      method: 'PATCH', headers: { authorization: adminAuth, 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ displayName: 'Carol' }),
    });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as { displayName: string }).displayName, 'Carol');
    const revoked = await send('/api/v1/robots/robot$ci/revoke', { headers: { authorization: adminAuth } });
    assert.equal(revoked.status, 200);
  });

  it('still reads a JSON body as before, refusing malformed JSON with 400', async () => {
    const response = expectStatus(await berth.admin.post('/api/v1/projects', '{"name":'), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(response), /not valid JSON/);
  });
});
