import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  adminPassword, createUser, errorMessage, expectStatus, startApiBerth, type ApiBerth,
} from '../support/api-client.js';

/** Usernames are case-insensitive: one account per name whatever its case, which keeps the case it was created with. */
describe('administration API: usernames that differ only in case', () => {
  let berth: ApiBerth;

  before(async () => {
    berth = await startApiBerth();
    await createUser(berth.admin, 'Alice');
  });
  after(async () => { await berth.close(); });

  it('refuses to create "Admin" beside "admin", or "alice" beside "Alice", with 409', async () => {
    const refused = expectStatus(await berth.admin.post('/api/v1/users', { username: 'Admin', password: 'another-password' }), 409, 'CONFLICT');
    assert.match(errorMessage(refused), /a user named "admin" exists \(usernames are case-insensitive/);
    expectStatus(await berth.admin.post('/api/v1/users', { username: 'alice', password: 'another-password' }), 409, 'CONFLICT');
    const names = (expectStatus(await berth.admin.get('/api/v1/users'), 200).body as { items: { username: string }[] }).items.map((u) => u.username);
    assert.deepEqual(names.filter((name) => name.toLowerCase() === 'admin' || name.toLowerCase() === 'alice').sort(), ['Alice', 'admin']);
  });

  it('logs in whatever case the name is typed in, naming the user as stored', async () => {
    const me = expectStatus(await berth.anonymous.as({ username: 'ADMIN', password: adminPassword }).get('/api/v1/me'), 200).body as { username: string };
    assert.equal(me.username, 'admin');
    const alice = expectStatus(await berth.anonymous.as({ username: 'alice', password: 'Alice-password' }).get('/api/v1/me'), 200).body as { username: string };
    assert.equal(alice.username, 'Alice');
    expectStatus(await berth.anonymous.as({ username: 'ALICE', password: 'wrong-password' }).get('/api/v1/me'), 401, 'UNAUTHORIZED');
  });

  it('takes a CLI secret with the name typed in another case', async () => {
    const alice = berth.anonymous.as({ username: 'Alice', password: 'Alice-password' });
    const { secret } = expectStatus(await alice.post('/api/v1/users/me/cli-secrets', { name: 'laptop' }), 201).body as { secret: string };
    const me = expectStatus(await berth.anonymous.as({ username: 'aLiCe', password: secret }).get('/api/v1/me'), 200).body as { username: string };
    assert.equal(me.username, 'Alice');
  });

  it('finds a user by any case of their name, and knows an administrator by it too', async () => {
    const found = expectStatus(await berth.admin.get('/api/v1/users/ALICE'), 200).body as { username: string };
    assert.equal(found.username, 'Alice');
    const self = expectStatus(await berth.admin.delete('/api/v1/users/ADMIN'), 409, 'CONFLICT');
    assert.match(errorMessage(self), /you cannot delete yourself/);
    expectStatus(await berth.admin.patch('/api/v1/users/Admin', { admin: false }), 409, 'CONFLICT');
    const still = expectStatus(await berth.admin.get('/api/v1/users/admin'), 200).body as { admin: boolean };
    assert.equal(still.admin, true);
  });
});
