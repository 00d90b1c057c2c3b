import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';

/**
 * The access part of the metadata contract (src/metadata/access-store.ts), run inside the metadata store suite so
 * that every backend runs it: users, groups, projects and members, robots, CLI secrets, the signing key, failed-login
 * counters and the audit log.
 */
export function accessStoreTests(current: () => MetadataStore): void {
  const now = 1_000;

  it('access: creates users once, finds them by name and id, lists them in name order with a search', async () => {
    const access = current().access();
    const alice = await access.createUser({ username: 'alice', email: 'alice@example.org', source: 'local', passwordHash: 'h', admin: false, now });
    await access.createUser({ username: 'bob', source: 'ldap', admin: true, now });
    await assert.rejects(access.createUser({ username: 'alice', source: 'local', admin: false, now }), { name: 'ConflictError' });
    assert.equal((await access.userByName('alice'))?.id, alice.id);
    assert.equal((await access.userById(alice.id))?.email, 'alice@example.org');
    assert.deepEqual((await access.listUsers({ limit: 10 })).map((u) => u.username), ['alice', 'bob']);
    assert.deepEqual((await access.listUsers({ limit: 10, after: 'alice' })).map((u) => u.username), ['bob']);
    assert.deepEqual((await access.listUsers({ limit: 10, query: 'example' })).map((u) => u.username), ['alice']);
    assert.deepEqual((await access.listUsers({ limit: 10, query: '%' })).map((u) => u.username), [], 'wildcards are literal');
    const bob = (await access.userByName('bob'))!;
    assert.equal(bob.admin, true);
    assert.equal(bob.source, 'ldap');
    assert.equal(bob.passwordHash, undefined);
  });

  it('access: treats usernames that differ only in case as one user, keeping the name as stored', async () => {
    const access = current().access();
    const admin = await access.createUser({ username: 'Admin', source: 'local', passwordHash: 'h', admin: true, now });
    await assert.rejects(access.createUser({ username: 'admin', source: 'local', admin: false, now }),
      { name: 'ConflictError', message: /a user named "Admin" exists \(usernames are case-insensitive/ });
    await assert.rejects(access.createUser({ username: 'ADMIN', source: 'ldap', admin: false, now }), { name: 'ConflictError' });
    for (const typed of ['admin', 'ADMIN', 'aDmIn', 'Admin']) {
      const found = await access.userByName(typed);
      assert.equal(found?.id, admin.id, typed);
      assert.equal(found?.username, 'Admin', 'the stored name is kept');
    }
    assert.equal(await access.userByName('admin_'), undefined, 'only case is folded, and "_" is no wildcard');
    assert.deepEqual((await access.listUsers({ limit: 10 })).map((u) => u.username), ['Admin']);
  });

  it('access: updates and deletes a user with their memberships and tokens', async () => {
    const access = current().access();
    const user = await access.createUser({ username: 'carol', source: 'local', passwordHash: 'old', admin: false, now });
    const before = current().changeVersion();
    const changed = await access.updateUser(user.id, { passwordHash: 'new', disabled: true, displayName: 'Carol', now: now + 1 });
    assert.equal(changed?.passwordHash, 'new');
    assert.equal(changed?.disabled, true);
    assert.equal(changed?.displayName, 'Carol');
    assert.notEqual(current().changeVersion(), before, 'an access change moves the change version');
    const project = await access.createProject({ name: 'team', public: false, now });
    await access.setMember(project.id, { kind: 'user', id: user.id }, 'developer', now);
    await access.createPersonalToken({ userId: user.id, name: 'laptop', secretHash: 'aa', now });
    assert.equal(await access.deleteUser(user.id), true);
    assert.equal(await access.userById(user.id), undefined);
    assert.deepEqual(await access.members(project.id), []);
    assert.equal(await access.personalTokenBySecretHash('aa'), undefined);
    assert.equal(await access.deleteUser(user.id), false);
  });

  it('access: answers a project\'s visibility and the roles held directly and through groups', async () => {
    const access = current().access();
    const user = await access.createUser({ username: 'dave', source: 'local', admin: false, now });
    const group = await access.createGroup({ name: 'devs', source: 'ldap', externalName: 'cn=devs,dc=example,dc=org', now });
    const team = await access.createProject({ name: 'team', public: false, createdBy: 'admin', now });
    await access.createProject({ name: 'open', public: true, now });
    await assert.rejects(access.createProject({ name: 'team', public: true, now }), { name: 'ConflictError' });
    await access.setMember(team.id, { kind: 'user', id: user.id }, 'guest', now);
    await access.setMember(team.id, { kind: 'group', id: group.id }, 'developer', now);
    assert.deepEqual([...(await access.projectAccess('team', user.id, [])).roles], ['guest']);
    assert.deepEqual([...(await access.projectAccess('team', user.id, [group.id])).roles].sort(), ['developer', 'guest']);
    assert.deepEqual([...(await access.projectAccess('team', undefined, [])).roles], []);
    assert.equal((await access.projectAccess('team', user.id, [])).project?.public, false);
    assert.equal((await access.projectAccess('open', user.id, [])).project?.public, true);
    assert.equal((await access.projectAccess('missing', user.id, [])).project, undefined);
    await access.setMember(team.id, { kind: 'user', id: user.id }, 'maintainer', now);
    assert.deepEqual([...(await access.projectAccess('team', user.id, [])).roles], ['maintainer'], 'a new role replaces the old');
    const members = await access.members(team.id);
    assert.deepEqual(members.map((m) => [m.kind, m.name, m.role]), [['user', 'dave', 'maintainer'], ['group', 'devs', 'developer']]);
    assert.equal(await access.removeMember(team.id, { kind: 'group', id: group.id }), true);
    assert.equal((await access.updateProject(team.id, { public: true }))?.public, true);
    assert.deepEqual((await access.listProjects({ limit: 10 })).map((p) => p.name), ['open', 'team']);
    assert.equal((await access.ensureProject({ name: 'team', public: false, now })).public, true, 'ensure keeps an existing project');
    assert.equal((await access.ensureProject({ name: 'fresh', public: false, now })).name, 'fresh');
    assert.equal(await access.deleteProject(team.id), true);
    assert.equal(await access.projectByName('team'), undefined);
  });

  it('access: lists a project\'s repositories by name range, not by pattern', async () => {
    const store = current();
    await store.linkBlob('team', `sha256:${'1'.repeat(64)}`, 1);
    await store.linkBlob('team/app', `sha256:${'1'.repeat(64)}`, 1);
    await store.linkBlob('team/app/sub', `sha256:${'1'.repeat(64)}`, 1);
    await store.linkBlob('team_x/app', `sha256:${'1'.repeat(64)}`, 1);
    await store.linkBlob('teams/app', `sha256:${'1'.repeat(64)}`, 1);
    assert.deepEqual(await store.access().projectRepositories('team', 10), ['team', 'team/app', 'team/app/sub']);
    assert.deepEqual(await store.access().projectRepositories('te', 10), []);
  });

  it('access: keeps groups, their local members and the provider groups a user was told of', async () => {
    const access = current().access();
    const user = await access.createUser({ username: 'erin', source: 'oidc', admin: false, now });
    const local = await access.createGroup({ name: 'ops', source: 'local', now });
    const a = await access.createGroup({ name: 'oidc-a', source: 'oidc', externalName: 'a', now });
    const b = await access.createGroup({ name: 'oidc-b', source: 'oidc', externalName: 'b', now });
    await assert.rejects(access.createGroup({ name: 'again', source: 'oidc', externalName: 'a', now }), { name: 'ConflictError' });
    await access.addGroupMember(local.id, user.id);
    await access.addGroupMember(local.id, user.id);
    assert.deepEqual((await access.groupsByExternalName('oidc', ['b', 'a', 'zzz'])).map((g) => g.name).sort(), ['oidc-a', 'oidc-b']);
    assert.deepEqual((await access.groupsByExternalName('ldap', ['a'])), []);
    await access.setProviderGroups(user.id, 'oidc', [a.id]);
    assert.deepEqual(await access.groupIdsOf(user.id), [local.id, a.id].sort((x, y) => x - y));
    await access.setProviderGroups(user.id, 'oidc', [b.id]);
    assert.deepEqual(await access.groupIdsOf(user.id), [local.id, b.id].sort((x, y) => x - y), 'provider groups are replaced, local ones kept');
    assert.deepEqual((await access.groupMembers(local.id)).map((u) => u.username), ['erin']);
    assert.equal(await access.removeGroupMember(local.id, user.id), true);
    assert.equal(await access.deleteGroup(b.id), true);
    assert.deepEqual(await access.groupIdsOf(user.id), []);
    assert.deepEqual((await access.listGroups({ limit: 10 })).map((g) => g.name), ['oidc-a', 'ops']);
  });

  it('access: stores robots with their permissions, expiry and revocation', async () => {
    const access = current().access();
    const robot = await access.createRobot({
      name: 'robot$ci', secretHash: 'ab', permissions: [{ project: 'team', actions: ['pull', 'push'] }], expiresAt: 5_000, createdBy: 'admin', now,
    });
    await assert.rejects(access.createRobot({ name: 'robot$ci', secretHash: 'cd', permissions: [], createdBy: 'admin', now }), { name: 'ConflictError' });
    await access.createRobot({ name: 'robot$other', secretHash: 'ef', permissions: [{ project: 'else', actions: ['pull'] }], createdBy: 'admin', now });
    assert.deepEqual((await access.robotByName('robot$ci'))?.permissions, [{ project: 'team', actions: ['pull', 'push'] }]);
    assert.equal((await access.robotById(robot.id))?.expiresAt, 5_000);
    assert.deepEqual((await access.listRobots({ limit: 10, project: 'team' })).map((r) => r.name), ['robot$ci']);
    assert.deepEqual((await access.listRobots({ limit: 1 })).map((r) => r.name), ['robot$ci']);
    assert.deepEqual((await access.listRobots({ limit: 10, after: 'robot$ci' })).map((r) => r.name), ['robot$other']);
    const revoked = await access.updateRobot(robot.id, { revokedAt: 7_000, expiresAt: null, secretHash: 'ff' });
    assert.equal(revoked?.revokedAt, 7_000);
    assert.equal(revoked?.expiresAt, undefined);
    assert.equal(revoked?.secretHash, 'ff');
    await access.touchRobot(robot.id, 8_000);
    assert.equal((await access.robotById(robot.id))?.lastUsedAt, 8_000);
    assert.equal(await access.deleteRobot(robot.id), true);
    assert.equal(await access.robotByName('robot$ci'), undefined);
  });

  it('access: finds CLI secrets by hash and revokes them for their owner only', async () => {
    const access = current().access();
    const user = await access.createUser({ username: 'frank', source: 'oidc', admin: false, now });
    const other = await access.createUser({ username: 'grace', source: 'local', admin: false, now });
    const token = await access.createPersonalToken({ userId: user.id, name: 'laptop', secretHash: 'f00d', expiresAt: 9_000, now });
    assert.equal((await access.personalTokenBySecretHash('f00d'))?.id, token.id);
    assert.deepEqual((await access.personalTokensOf(user.id)).map((t) => t.name), ['laptop']);
    assert.equal(await access.revokePersonalToken(other.id, token.id, 2_000), false, 'not someone else\'s');
    assert.equal(await access.revokePersonalToken(user.id, token.id, 2_000), true);
    assert.equal(await access.revokePersonalToken(user.id, token.id, 3_000), false, 'once');
    assert.equal((await access.personalTokenBySecretHash('f00d'))?.revokedAt, 2_000);
  });

  it('access: keeps the first signing key offered, whoever offers another later', async () => {
    const access = current().access();
    const first = await access.ensureSigningKey({ kid: 'k1', privateJwk: '{"a":1}', createdAt: 1 });
    const second = await access.ensureSigningKey({ kid: 'k2', privateJwk: '{"a":2}', createdAt: 2 });
    assert.equal(first.kid, 'k1');
    assert.equal(second.kid, 'k1');
    assert.deepEqual((await access.signingKeys()).map((k) => k.kid), ['k1']);
  });

  it('access: remembers signed-out sessions until they would have expired', async () => {
    const access = current().access();
    await access.revokeSession('old', 1_000, 500);
    await access.revokeSession('current', 10_000, 500);
    assert.equal(await access.sessionRevoked('current'), true);
    assert.equal(await access.sessionRevoked('never'), false);
    await access.revokeSession('current', 10_000, 2_000);
    assert.equal(await access.sessionRevoked('old'), false, 'expired rows are dropped');
    assert.equal(await access.sessionRevoked('current'), true);
  });

  it('access: counts failed logins per key within a window, starting over after it', async () => {
    const access = current().access();
    const keys = ['user:alice', 'address:10.0.0.1'];
    await access.recordLoginFailure(keys, 1_000, 60_000);
    const counts = await access.recordLoginFailure(keys, 2_000, 60_000);
    assert.equal(counts.get('user:alice'), 2);
    assert.equal((await access.loginFailures(keys, 3_000, 60_000)).get('address:10.0.0.1'), 2);
    assert.equal((await access.loginFailures(keys, 62_000, 60_000)).get('user:alice'), 0, 'the window ran out');
    assert.equal((await access.recordLoginFailure(['user:alice'], 62_000, 60_000)).get('user:alice'), 1, 'a new window starts at one');
    await access.clearLoginFailures('user:alice');
    assert.equal((await access.loginFailures(['user:alice'], 62_000, 60_000)).get('user:alice'), 0);
  });

  it('access: appends audit events and queries them newest first with filters and keyset pages', async () => {
    const access = current().access();
    await access.appendAudit([
      { at: 1, actor: 'alice', actorKind: 'user', action: 'push', repository: 'team/app', digest: 'sha256:1', tag: 'v1', address: '10.0.0.1', outcome: 'ok' },
      { at: 2, actor: 'bob', actorKind: 'user', action: 'login.failed', address: '10.0.0.2', outcome: 'failed', detail: { reason: 'wrong password' } },
      { at: 3, actor: 'robot$ci', actorKind: 'robot', action: 'pull', repository: 'team/app', outcome: 'ok' },
      { at: 4, actor: 'bob', actorKind: 'user', action: 'login', outcome: 'ok' },
    ]);
    const all = await access.queryAudit({ limit: 10 });
    assert.deepEqual(all.map((e) => e.at), [4, 3, 2, 1]);
    assert.deepEqual(all[2]!.detail, { reason: 'wrong password' });
    assert.equal(all[3]!.tag, 'v1');
    assert.deepEqual((await access.queryAudit({ limit: 10, actor: 'bob' })).map((e) => e.action), ['login', 'login.failed']);
    assert.deepEqual((await access.queryAudit({ limit: 10, action: 'login' })).map((e) => e.at), [4, 2], '"login" covers login.failed');
    assert.deepEqual((await access.queryAudit({ limit: 10, action: 'login.failed' })).map((e) => e.at), [2]);
    assert.deepEqual((await access.queryAudit({ limit: 10, repository: 'team/app' })).map((e) => e.at), [3, 1]);
    assert.deepEqual((await access.queryAudit({ limit: 10, outcome: 'failed' })).map((e) => e.at), [2]);
    assert.deepEqual((await access.queryAudit({ limit: 10, since: 2, until: 4 })).map((e) => e.at), [3, 2]);
    const page = await access.queryAudit({ limit: 2 });
    assert.deepEqual((await access.queryAudit({ limit: 2, before: page.at(-1)!.id })).map((e) => e.at), [2, 1]);
  });
}
