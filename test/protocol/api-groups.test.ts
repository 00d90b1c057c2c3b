import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  auditEvents, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, walk,
  type ApiBerth, type ApiClient,
} from '../support/api-client.js';

/** /api/v1/groups: system administrators manage groups; local groups list their members here. */
describe('administration API: groups', () => {
  let berth: ApiBerth;
  let admin: ApiClient;
  let olga: ApiClient;

  before(async () => {
    berth = await startApiBerth();
    admin = berth.admin;
    olga = await createUser(admin, 'olga');
    await createUser(admin, 'pete');
    await createProject(admin, 'team');
  });
  after(async () => { await berth.close(); });

  it('creates local, LDAP and OpenID Connect groups (201)', async () => {
    const local = expectStatus(await admin.post('/api/v1/groups', { name: 'platform', source: 'local' }), 201).body;
    assert.deepEqual({ ...local, id: 0, createdAt: '' }, { id: 0, name: 'platform', source: 'local', externalName: null, createdAt: '' });
    const ldap = expectStatus(await admin.post('/api/v1/groups', { name: 'ldap-devs', source: 'ldap', externalName: 'cn=devs,ou=groups,dc=example,dc=com' }), 201).body;
    assert.equal(ldap.externalName, 'cn=devs,ou=groups,dc=example,dc=com');
    expectStatus(await admin.post('/api/v1/groups', { name: 'oidc-ops', source: 'oidc', externalName: 'ops' }), 201);
    const [event] = await auditEvents(admin, 'action=group.create');
    assert.deepEqual(event.detail, { target: 'oidc-ops', source: 'oidc', externalName: 'ops' });
  });

  it('requires externalName for provider groups, forbids it for local ones, and refuses taken names', async () => {
    const ldap = expectStatus(await admin.post('/api/v1/groups', { name: 'x', source: 'ldap' }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(ldap), /^body\.externalName: send the LDAP group's DN/);
    const oidc = expectStatus(await admin.post('/api/v1/groups', { name: 'x', source: 'oidc' }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(oidc), /^body\.externalName: .*groups claim/);
    expectStatus(await admin.post('/api/v1/groups', { name: 'x', source: 'local', externalName: 'cn=x' }), 400, 'INVALID_REQUEST');
    expectStatus(await admin.post('/api/v1/groups', { name: 'x', source: 'saml' }), 400, 'INVALID_REQUEST');
    expectStatus(await admin.post('/api/v1/groups', { name: 'bad name', source: 'local' }), 400, 'INVALID_REQUEST');
    expectStatus(await admin.post('/api/v1/groups', { name: 'platform', source: 'local' }), 409, 'CONFLICT');
    const mapped = expectStatus(await admin.post('/api/v1/groups', { name: 'ops-again', source: 'oidc', externalName: 'ops' }), 409, 'CONFLICT');
    assert.match(errorMessage(mapped), /already mapped/);
  });

  it('lists groups with pagination', async () => {
    const { items, pages, links } = await walk<{ name: string }>(admin, '/api/v1/groups?n=2');
    assert.deepEqual(items.map((group) => group.name), ['ldap-devs', 'oidc-ops', 'platform']);
    assert.deepEqual(pages, [2, 1]);
    assert.equal(links[0], '</api/v1/groups?n=2&last=oidc-ops>; rel="next"');
    expectStatus(await admin.get('/api/v1/groups/platform'), 200);
    expectStatus(await admin.get('/api/v1/groups/nope'), 404, 'NOT_FOUND');
  });

  it('adds and removes members of local groups; a group role gives its members access', async () => {
    await setRole(admin, 'team', 'group', 'platform', 'developer');
    expectStatus(await olga.get('/api/v1/projects/team'), 404);
    expectStatus(await admin.put('/api/v1/groups/platform/members/olga'), 204);
    expectStatus(await admin.put('/api/v1/groups/platform/members/olga'), 204);
    expectStatus(await admin.put('/api/v1/groups/platform/members/pete'), 204);
    expectStatus(await olga.get('/api/v1/projects/team'), 200);
    assert.deepEqual(expectStatus(await olga.get('/api/v1/me'), 200).body.groups, ['platform']);
    const members = await walk<{ username: string }>(admin, '/api/v1/groups/platform/members?n=1');
    assert.deepEqual(members.items.map((user) => user.username), ['olga', 'pete']);
    assert.deepEqual(members.pages, [1, 1]);
    const projectMembers = expectStatus(await admin.get('/api/v1/projects/team/members'), 200).body.items;
    assert.deepEqual(projectMembers, [{ kind: 'group', name: 'platform', role: 'developer' }]);
    expectStatus(await admin.put('/api/v1/groups/platform/members/nobody'), 404, 'NOT_FOUND');
    expectStatus(await admin.put('/api/v1/groups/nogroup/members/olga'), 404, 'NOT_FOUND');
    expectStatus(await admin.delete('/api/v1/groups/platform/members/olga'), 204);
    expectStatus(await admin.delete('/api/v1/groups/platform/members/olga'), 404, 'NOT_FOUND');
    expectStatus(await olga.get('/api/v1/projects/team'), 404);
    // "group" matches every group.* action; a dotted action matches only itself.
    const events = (await auditEvents(admin, 'action=group')).filter((event) => event.action.startsWith('group.member.'));
    assert.deepEqual(events.map((event) => event.action), ['group.member.remove', 'group.member.add', 'group.member.add', 'group.member.add']);
    assert.deepEqual(events[0].detail, { target: 'platform:olga', group: 'platform', user: 'olga' });
  });

  it('refuses to change the members of provider groups with CONFLICT', async () => {
    const response = expectStatus(await admin.put('/api/v1/groups/ldap-devs/members/olga'), 409, 'CONFLICT');
    assert.match(errorMessage(response), /LDAP directory/);
    expectStatus(await admin.delete('/api/v1/groups/oidc-ops/members/olga'), 409, 'CONFLICT');
    assert.deepEqual(expectStatus(await admin.get('/api/v1/groups/ldap-devs/members'), 200).body.items, []);
  });

  it('keeps groups to system administrators', async () => {
    expectStatus(await olga.get('/api/v1/groups'), 403, 'DENIED');
    expectStatus(await olga.get('/api/v1/groups/platform'), 403, 'DENIED');
    expectStatus(await olga.get('/api/v1/groups/platform/members'), 403, 'DENIED');
    expectStatus(await olga.post('/api/v1/groups', { name: 'mine', source: 'local' }), 403, 'DENIED');
    expectStatus(await olga.put('/api/v1/groups/platform/members/olga'), 403, 'DENIED');
    expectStatus(await olga.delete('/api/v1/groups/platform/members/pete'), 403, 'DENIED');
    expectStatus(await olga.delete('/api/v1/groups/platform'), 403, 'DENIED');
    const denied = await auditEvents(admin, 'actor=olga&outcome=denied');
    assert.deepEqual(denied.map((event) => event.action), ['group.delete', 'group.member.remove', 'group.member.add', 'group.create']);
  });

  it('deletes a group with its project roles (204)', async () => {
    expectStatus(await admin.delete('/api/v1/groups/platform'), 204);
    expectStatus(await admin.get('/api/v1/groups/platform'), 404);
    assert.deepEqual(expectStatus(await admin.get('/api/v1/projects/team/members'), 200).body.items, []);
    expectStatus(await admin.delete('/api/v1/groups/platform'), 404, 'NOT_FOUND');
    const [event] = await auditEvents(admin, 'action=group.delete&outcome=ok');
    assert.deepEqual(event.detail, { target: 'platform', source: 'local' });
  });
});
