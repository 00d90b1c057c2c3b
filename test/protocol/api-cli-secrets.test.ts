import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  auditEvents, basic, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, walk,
  type ApiBerth, type ApiClient,
} from '../support/api-client.js';

/** /api/v1/users/me/cli-secrets: personal tokens, what users without a password here give docker login. */
describe('administration API: CLI secrets', () => {
  let berth: ApiBerth;
  let admin: ApiClient;
  let quinn: ApiClient;

  before(async () => {
    berth = await startApiBerth();
    admin = berth.admin;
    quinn = await createUser(admin, 'quinn');
    await createProject(admin, 'team');
    await setRole(admin, 'team', 'user', 'quinn', 'developer');
  });
  after(async () => { await berth.close(); });

  it('creates a secret shown once, expiring after 90 days by default; it works as the password for the token endpoint', async () => {
    const response = expectStatus(await quinn.post('/api/v1/users/me/cli-secrets', { name: 'laptop' }), 201);
    const created = response.body;
    assert.deepEqual(Object.keys(created).sort(), ['expiresAt', 'id', 'name', 'secret']);
    assert.match(created.secret, /^berth_pat_/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const days = (Date.parse(created.expiresAt) - Date.now()) / 86400_000;
    assert.ok(days > 89.9 && days <= 90, String(days));
    const token = await fetch(`${berth.registry.url}/auth/token?service=berth&scope=repository:team/app:pull,push`, {
      headers: { authorization: basic('quinn', created.secret) },
    });
    assert.equal(token.status, 200);
    // And for the API itself.
    const viaSecret = admin.as({ username: 'quinn', password: created.secret });
    assert.equal(expectStatus(await viaSecret.get('/api/v1/me'), 200).body.username, 'quinn');
    // Another user's name with this secret is refused.
    await createUser(admin, 'rita');
    expectStatus(await admin.as({ username: 'rita', password: created.secret }).get('/api/v1/me'), 401);
    const [event] = await auditEvents(admin, 'action=cli-secret.create');
    assert.equal(event.actor, 'quinn');
    assert.equal(event.detail.target, 'laptop');
    assert.doesNotMatch(JSON.stringify(event), new RegExp(created.secret));
  });

  it('lists the caller\'s secrets without the secret itself, with pagination', async () => {
    expectStatus(await quinn.post('/api/v1/users/me/cli-secrets', { name: 'desktop', expiresInDays: 365 }), 201);
    expectStatus(await quinn.post('/api/v1/users/me/cli-secrets', { name: 'ci', expiresInDays: 1 }), 201);
    const { items, pages, links } = await walk<Record<string, unknown>>(quinn, '/api/v1/users/me/cli-secrets?n=2');
    assert.deepEqual(items.map((item) => item.name), ['laptop', 'desktop', 'ci']);
    assert.deepEqual(pages, [2, 1]);
    assert.match(links[0]!, /^<\/api\/v1\/users\/me\/cli-secrets\?n=2&last=\d+>; rel="next"$/);
    assert.deepEqual(Object.keys(items[0]!).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt']);
    assert.ok(items[0]!.lastUsedAt !== null, 'the laptop secret was used');
    assert.deepEqual(expectStatus(await admin.get('/api/v1/users/me/cli-secrets'), 200).body.items, [], 'each user sees their own');
  });

  it('validates the name and the lifetime (1 to 365 days)', async () => {
    for (const body of [{}, { name: '' }, { name: 'x', expiresInDays: 0 }, { name: 'x', expiresInDays: 366 }, { name: 'x', expiresInDays: 1.5 }, { name: 'x\ny' }]) {
      expectStatus(await quinn.post('/api/v1/users/me/cli-secrets', body), 400, 'INVALID_REQUEST');
    }
    const response = expectStatus(await quinn.post('/api/v1/users/me/cli-secrets', { name: 'x', expiresInDays: 400 }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(response), /^body\.expiresInDays: send at most 365 days/);
  });

  it('revokes a secret (204), which then stops working', async () => {
    const created = expectStatus(await quinn.post('/api/v1/users/me/cli-secrets', { name: 'short-lived' }), 201).body;
    const client = admin.as({ username: 'quinn', password: created.secret });
    expectStatus(await client.get('/api/v1/me'), 200);
    expectStatus(await admin.delete(`/api/v1/users/me/cli-secrets/${created.id}`), 404, 'NOT_FOUND');
    expectStatus(await quinn.delete(`/api/v1/users/me/cli-secrets/${created.id}`), 204);
    expectStatus(await quinn.delete(`/api/v1/users/me/cli-secrets/${created.id}`), 204);
    expectStatus(await client.get('/api/v1/me'), 401, 'UNAUTHORIZED');
    const listed = expectStatus(await quinn.get('/api/v1/users/me/cli-secrets'), 200).body.items;
    assert.ok(listed.find((item: { id: number }) => item.id === created.id).revokedAt !== null);
    expectStatus(await quinn.delete('/api/v1/users/me/cli-secrets/999999'), 404, 'NOT_FOUND');
    expectStatus(await quinn.delete('/api/v1/users/me/cli-secrets/abc'), 404, 'NOT_FOUND');
    const events = await auditEvents(admin, 'action=cli-secret.revoke');
    assert.equal(events.length, 1);
    assert.deepEqual(events[0].detail, { target: 'short-lived', id: created.id });
  });

  it('has none for robot accounts', async () => {
    const robot = expectStatus(await admin.post('/api/v1/robots', { name: 'bot', permissions: [{ project: 'team', actions: ['pull'] }] }), 201).body;
    const client = admin.as({ username: 'robot$bot', password: robot.secret });
    const response = expectStatus(await client.post('/api/v1/users/me/cli-secrets', { name: 'x' }), 403, 'DENIED');
    assert.match(errorMessage(response), /robot accounts have no CLI secrets/);
    expectStatus(await client.get('/api/v1/users/me/cli-secrets'), 403, 'DENIED');
    expectStatus(await client.delete('/api/v1/users/me/cli-secrets/1'), 403, 'DENIED');
    expectStatus(await berth.anonymous.get('/api/v1/users/me/cli-secrets'), 401, 'UNAUTHORIZED');
  });
});
