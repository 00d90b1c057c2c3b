import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  adminPassword, auditEvents, createUser, errorMessage, expectStatus, startApiBerth, walk, type ApiBerth, type ApiClient,
} from '../support/api-client.js';

/** /api/v1/users: system administrators manage users; a user changes their own password, e-mail and name. */
describe('administration API: users', () => {
  let berth: ApiBerth;
  let admin: ApiClient;

  before(async () => {
    berth = await startApiBerth();
    admin = berth.admin;
  });
  after(async () => { await berth.close(); });

  it('creates a user (201) and answers it without any password hash', async () => {
    const response = expectStatus(await admin.post('/api/v1/users', {
      username: 'erin@example.com', password: 'erin-password', email: 'erin@example.com', displayName: 'Erin E.',
    }), 201);
    const user = response.body;
    assert.deepEqual(Object.keys(user).sort(), ['admin', 'createdAt', 'disabled', 'displayName', 'email', 'id', 'lastLoginAt', 'source', 'username']);
    assert.equal(user.username, 'erin@example.com');
    assert.equal(user.email, 'erin@example.com');
    assert.equal(user.displayName, 'Erin E.');
    assert.equal(user.source, 'local');
    assert.equal(user.admin, false);
    assert.equal(user.disabled, false);
    assert.equal(user.lastLoginAt, null);
    assert.ok(!Number.isNaN(Date.parse(user.createdAt)));
    assert.doesNotMatch(response.text, /argon2|password/i);
    // The new user can sign in, and GET shows the login time.
    expectStatus(await admin.as({ username: 'erin@example.com', password: 'erin-password' }).get('/api/v1/me'), 200);
    const fetched = expectStatus(await admin.get('/api/v1/users/erin@example.com'), 200).body;
    assert.ok(fetched.lastLoginAt !== null);
  });

  it('refuses a taken username with CONFLICT', async () => {
    await createUser(admin, 'frank');
    const response = expectStatus(await admin.post('/api/v1/users', { username: 'frank', password: 'another-password' }), 409, 'CONFLICT');
    assert.match(errorMessage(response), /frank/);
  });

  it('validates usernames, passwords, e-mail and unknown fields with INVALID_REQUEST naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ username: 'robot$x', password: 'long-enough-1' }, /^body\.username: /],
      [{ username: '-leading', password: 'long-enough-1' }, /^body\.username: /],
      [{ username: 'x'.repeat(129), password: 'long-enough-1' }, /^body\.username: .*128/],
      [{ username: '', password: 'long-enough-1' }, /^body\.username: /],
      [{ username: 'gina', password: 'short' }, /^body\.password: a password needs at least 8 characters/],
      [{ username: 'gina', password: 'tab\there-long' }, /^body\.password: .*control characters/],
      [{ username: 'gina', password: 'long-enough-1', email: 'not-an-email' }, /^body\.email: /],
      [{ username: 'gina', password: 'long-enough-1', admin: 'yes' }, /^body\.admin: expected a boolean, got string/],
      [{ password: 'long-enough-1' }, /^body\.username: required/],
      [{ username: 'gina', password: 'long-enough-1', role: 'admin' }, /^body: unknown field "role": the accepted fields are username, password/],
      [[], /^body: expected an object, got array/],
    ];
    for (const [body, message] of cases) {
      const response = expectStatus(await admin.post('/api/v1/users', body), 400, 'INVALID_REQUEST');
      assert.match(errorMessage(response), message, JSON.stringify(body));
      assert.ok(Array.isArray(response.body.errors[0].detail.issues));
    }
    const malformed = expectStatus(await admin.post('/api/v1/users', '{"username": '), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(malformed), /not valid JSON/);
    const empty = expectStatus(await admin.request('POST', '/api/v1/users'), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(empty), /empty/);
    expectStatus(await admin.get('/api/v1/users/gina'), 404, 'NOT_FOUND');
  });

  it('refuses a body over 1 MiB', async () => {
    const response = await admin.post('/api/v1/users', { username: 'big', password: 'x'.repeat(1024 * 1024 + 10) });
    assert.equal(response.status, 413);
  });

  it('lists users in name order, page by page, with Link headers; q filters by name or e-mail', async () => {
    for (const name of ['list-a', 'list-b', 'list-c', 'list-d', 'list-e']) await createUser(admin, name);
    const { items, pages, links } = await walk<{ username: string }>(admin, '/api/v1/users?n=2&q=list-');
    assert.deepEqual(items.map((user) => user.username), ['list-a', 'list-b', 'list-c', 'list-d', 'list-e']);
    assert.deepEqual(pages, [2, 2, 1]);
    assert.equal(links[0], '</api/v1/users?n=2&last=list-b&q=list->; rel="next"');
    const first = expectStatus(await admin.get('/api/v1/users?n=2&q=list-'), 200).body;
    assert.equal(first.next, 'list-b');
    const byEmail = expectStatus(await admin.get('/api/v1/users?q=example.com'), 200).body.items;
    assert.deepEqual(byEmail.map((user: { username: string }) => user.username), ['erin@example.com']);
    const all = await walk<{ username: string }>(admin, '/api/v1/users');
    assert.deepEqual(all.items.map((user) => user.username), [...all.items.map((user) => user.username)].sort());
    assert.deepEqual(all.pages.length, 1);
  });

  it('validates n: at least 1, cut to 1000', async () => {
    expectStatus(await admin.get('/api/v1/users?n=0'), 400, 'INVALID_REQUEST');
    expectStatus(await admin.get('/api/v1/users?n=abc'), 400, 'INVALID_REQUEST');
    expectStatus(await admin.get('/api/v1/users?n=100000'), 200);
  });

  it('keeps users to system administrators, except a user\'s own record', async () => {
    const henry = await createUser(admin, 'henry');
    expectStatus(await henry.get('/api/v1/users'), 403, 'DENIED');
    const create = expectStatus(await henry.post('/api/v1/users', { username: 'ivan', password: 'ivan-password' }), 403, 'DENIED');
    assert.match(errorMessage(create), /only system administrators/);
    expectStatus(await henry.get('/api/v1/users/frank'), 403, 'DENIED');
    expectStatus(await henry.get('/api/v1/users/henry'), 200);
    expectStatus(await henry.delete('/api/v1/users/frank'), 403, 'DENIED');
    expectStatus(await henry.patch('/api/v1/users/frank', { displayName: 'F' }), 403, 'DENIED');
    expectStatus(await berth.anonymous.get('/api/v1/users'), 401, 'UNAUTHORIZED');
    const denied = await auditEvents(admin, 'actor=henry&outcome=denied');
    assert.deepEqual(denied.map((event) => event.action).sort(), ['user.create', 'user.delete', 'user.update']);
    assert.equal(denied.find((event) => event.action === 'user.create').detail.target, 'ivan');
  });

  it('lets a user change their own e-mail and display name, but not admin or disabled', async () => {
    const jane = await createUser(admin, 'jane');
    const changed = expectStatus(await jane.patch('/api/v1/users/jane', { email: 'jane@example.com', displayName: 'Jane' }), 200).body;
    assert.equal(changed.email, 'jane@example.com');
    assert.equal(changed.displayName, 'Jane');
    const cleared = expectStatus(await jane.patch('/api/v1/users/jane', { email: null }), 200).body;
    assert.equal(cleared.email, null);
    const promote = expectStatus(await jane.patch('/api/v1/users/jane', { admin: true }), 403, 'DENIED');
    assert.match(errorMessage(promote), /only system administrators/);
    expectStatus(await jane.patch('/api/v1/users/jane', { disabled: true }), 403, 'DENIED');
  });

  it('lets a user change their own password only with the current one', async () => {
    const kim = await createUser(admin, 'kim');
    const missing = expectStatus(await kim.patch('/api/v1/users/kim', { password: 'new-kim-password' }), 403, 'DENIED');
    assert.match(errorMessage(missing), /currentPassword/);
    expectStatus(await kim.patch('/api/v1/users/kim', { password: 'new-kim-password', currentPassword: 'wrong-one' }), 403, 'DENIED');
    expectStatus(await kim.patch('/api/v1/users/kim', { currentPassword: 'kim-password' }), 400, 'INVALID_REQUEST');
    expectStatus(await kim.patch('/api/v1/users/kim', { password: 'new-kim-password', currentPassword: 'kim-password' }), 200);
    expectStatus(await kim.get('/api/v1/me'), 401, 'UNAUTHORIZED');
    expectStatus(await kim.as({ username: 'kim', password: 'new-kim-password' }).get('/api/v1/me'), 200);
    const events = await auditEvents(admin, 'actor=kim&action=user.update&outcome=ok');
    assert.deepEqual(events[0].detail, { target: 'kim', passwordChanged: true });
    assert.doesNotMatch(JSON.stringify(events), /new-kim-password/);
  });

  it('lets an administrator set another user\'s password, admin and disabled flags', async () => {
    const leo = await createUser(admin, 'leo');
    expectStatus(await admin.patch('/api/v1/users/leo', { password: 'reset-by-admin' }), 200);
    expectStatus(await leo.get('/api/v1/me'), 401);
    const promoted = expectStatus(await admin.patch('/api/v1/users/leo', { admin: true }), 200).body;
    assert.equal(promoted.admin, true);
    const leoNow = admin.as({ username: 'leo', password: 'reset-by-admin' });
    expectStatus(await leoNow.get('/api/v1/users'), 200);
    expectStatus(await admin.patch('/api/v1/users/leo', { admin: false }), 200);
    expectStatus(await leoNow.get('/api/v1/users'), 403, 'DENIED');
    const events = await auditEvents(admin, 'action=user.update&outcome=ok&actor=admin');
    assert.ok(events.some((event) => event.detail.target === 'leo' && event.detail.admin === true));
  });

  it('refuses with CONFLICT an administrator removing their own admin flag, disabling or deleting themselves', async () => {
    const demote = expectStatus(await admin.patch('/api/v1/users/admin', { admin: false }), 409, 'CONFLICT');
    assert.match(errorMessage(demote), /own administrator flag/);
    expectStatus(await admin.patch('/api/v1/users/admin', { disabled: true }), 409, 'CONFLICT');
    expectStatus(await admin.delete('/api/v1/users/admin'), 409, 'CONFLICT');
    expectStatus(await admin.get('/api/v1/me'), 200);
  });

  it('lets an administrator change their own password with the current one', async () => {
    expectStatus(await admin.patch('/api/v1/users/admin', { password: 'rotated-admin-password' }), 403, 'DENIED');
    expectStatus(await admin.patch('/api/v1/users/admin', { password: 'rotated-admin-password', currentPassword: adminPassword }), 200);
    const rotated = admin.as({ username: 'admin', password: 'rotated-admin-password' });
    expectStatus(await rotated.patch('/api/v1/users/admin', { password: adminPassword, currentPassword: 'rotated-admin-password' }), 200);
    expectStatus(await admin.get('/api/v1/me'), 200);
  });

  it('deletes a user (204), who can then no longer sign in; 404 for one that does not exist', async () => {
    const mia = await createUser(admin, 'mia');
    expectStatus(await admin.delete('/api/v1/users/mia'), 204);
    expectStatus(await mia.get('/api/v1/me'), 401);
    expectStatus(await admin.delete('/api/v1/users/mia'), 404, 'NOT_FOUND');
    expectStatus(await admin.patch('/api/v1/users/mia', { displayName: 'x' }), 404, 'NOT_FOUND');
    const [event] = await auditEvents(admin, 'action=user.delete');
    assert.equal(event.detail.target, 'mia');
    assert.equal(event.actor, 'admin');
    assert.equal(event.outcome, 'ok');
    assert.equal(event.address, '127.0.0.1');
  });

  it('audits user creation with what was set, never the password', async () => {
    await admin.post('/api/v1/users', { username: 'nora', password: 'nora-password', displayName: 'Nora', admin: true });
    const [event] = await auditEvents(admin, 'action=user.create&actor=admin');
    assert.equal(event.actorKind, 'user');
    assert.deepEqual(event.detail, { target: 'nora', admin: true, displayName: 'Nora' });
    assert.doesNotMatch(JSON.stringify(event), /nora-password/);
  });
});
