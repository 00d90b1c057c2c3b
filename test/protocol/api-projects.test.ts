import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  adminPassword, auditEvents, basic, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, walk,
  type ApiBerth, type ApiClient,
} from '../support/api-client.js';

/** /api/v1/projects and their members: who sees and changes what, by role. */
describe('administration API: projects and members', () => {
  let berth: ApiBerth;
  let admin: ApiClient;
  const clients: Record<string, ApiClient> = {};
  let robot: ApiClient;

  before(async () => {
    berth = await startApiBerth();
    admin = berth.admin;
    await createProject(admin, 'team');
    await createProject(admin, 'other');
    await createProject(admin, 'open', true);
    for (const role of ['admin', 'maintainer', 'developer', 'guest', 'limited-guest']) {
      const name = `${role}-user`;
      clients[role] = await createUser(admin, name);
      await setRole(admin, 'team', 'user', name, role);
    }
    clients.outsider = await createUser(admin, 'outsider');
    const created = expectStatus(await admin.post('/api/v1/robots', { name: 'reader', permissions: [{ project: 'other', actions: ['pull'] }] }), 201);
    robot = admin.as({ username: 'robot$reader', password: created.body.secret });
  });
  after(async () => { await berth.close(); });

  const names = (items: { name: string }[]) => items.map((item) => item.name);

  it('creates a project (201) with its creator; refuses a taken name with CONFLICT', async () => {
    const created = expectStatus(await admin.post('/api/v1/projects', { name: 'fresh' }), 201).body;
    assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'createdBy', 'id', 'name', 'public']);
    assert.equal(created.name, 'fresh');
    assert.equal(created.public, false);
    assert.equal(created.createdBy, 'admin');
    expectStatus(await admin.post('/api/v1/projects', { name: 'fresh' }), 409, 'CONFLICT');
    const [event] = await auditEvents(admin, 'action=project.create&repository=fresh');
    assert.deepEqual(event.detail, { target: 'fresh', public: false });
  });

  it('validates project names as one repository-name component', async () => {
    for (const name of ['Team', 'a/b', '-x', 'x-', 'a..b', 'x'.repeat(256), '']) {
      const response = expectStatus(await admin.post('/api/v1/projects', { name }), 400, 'INVALID_REQUEST');
      assert.match(errorMessage(response), /^body\.name: /, name);
    }
    expectStatus(await admin.post('/api/v1/projects', { name: 'a.b_c__d--e' }), 201);
    expectStatus(await admin.post('/api/v1/projects', { name: 'p', public: 'yes' }), 400, 'INVALID_REQUEST');
  });

  it('serves a project named with 255 characters', async () => {
    const name = 'l'.repeat(255);
    expectStatus(await admin.post('/api/v1/projects', { name }), 201);
    expectStatus(await admin.get(`/api/v1/projects/${name}`), 200);
  });

  it('lets only system administrators create projects', async () => {
    const response = expectStatus(await clients.admin!.post('/api/v1/projects', { name: 'mine' }), 403, 'DENIED');
    assert.match(errorMessage(response), /only system administrators/);
    expectStatus(await robot.post('/api/v1/projects', { name: 'mine' }), 403, 'DENIED');
    expectStatus(await berth.anonymous.post('/api/v1/projects', { name: 'mine' }), 401, 'UNAUTHORIZED');
    const [event] = await auditEvents(admin, 'action=project.create&outcome=denied&actor=admin-user');
    assert.equal(event.detail.target, 'mine');
  });

  it('lists what each caller may see: all for administrators, public and own projects for users, named ones for robots', async () => {
    const all = names((await walk<{ name: string }>(admin, '/api/v1/projects')).items);
    for (const name of ['open', 'other', 'team']) assert.ok(all.includes(name));
    assert.deepEqual(names((await walk<{ name: string }>(clients.developer!, '/api/v1/projects')).items), ['open', 'team']);
    assert.deepEqual(names((await walk<{ name: string }>(clients['limited-guest']!, '/api/v1/projects')).items), ['open', 'team']);
    assert.deepEqual(names((await walk<{ name: string }>(clients.outsider!, '/api/v1/projects')).items), ['open']);
    assert.deepEqual(names((await walk<{ name: string }>(robot, '/api/v1/projects')).items), ['open', 'other']);
    assert.deepEqual(names((await walk<{ name: string }>(admin, '/api/v1/projects?q=the')).items), ['other']);
  });

  it('pages through projects with Link headers, for administrators and for filtered listings alike', async () => {
    for (let i = 0; i < 5; i++) await createProject(admin, `page${i}`, i % 2 === 0);
    const forAdmin = await walk<{ name: string }>(admin, '/api/v1/projects?n=2&q=page');
    assert.deepEqual(names(forAdmin.items), ['page0', 'page1', 'page2', 'page3', 'page4']);
    assert.deepEqual(forAdmin.pages, [2, 2, 1]);
    assert.equal(forAdmin.links[0], '</api/v1/projects?n=2&last=page1&q=page>; rel="next"');
    const forOutsider = await walk<{ name: string }>(clients.outsider!, '/api/v1/projects?n=1&q=page');
    assert.deepEqual(names(forOutsider.items), ['page0', 'page2', 'page4']);
    assert.deepEqual(forOutsider.pages, [1, 1, 1]);
  });

  it('shows a project to those who may see it; a private one is NOT_FOUND to others, like a missing one', async () => {
    for (const role of ['admin', 'maintainer', 'developer', 'guest', 'limited-guest']) {
      expectStatus(await clients[role]!.get('/api/v1/projects/team'), 200);
    }
    const hidden = expectStatus(await clients.outsider!.get('/api/v1/projects/team'), 404, 'NOT_FOUND');
    const missing = expectStatus(await clients.outsider!.get('/api/v1/projects/nope'), 404, 'NOT_FOUND');
    assert.equal(errorMessage(hidden).replace('team', 'X'), errorMessage(missing).replace('nope', 'X'));
    expectStatus(await clients.outsider!.get('/api/v1/projects/open'), 200);
    expectStatus(await robot.get('/api/v1/projects/other'), 200);
    expectStatus(await robot.get('/api/v1/projects/team'), 404, 'NOT_FOUND');
    expectStatus(await admin.get('/api/v1/projects/nope'), 404, 'NOT_FOUND');
    // Anonymous readers see what they could pull from, as on /v2/: public projects only.
    expectStatus(await berth.anonymous.get('/api/v1/projects/open'), 200);
    expectStatus(await berth.anonymous.get('/api/v1/projects/team'), 404, 'NOT_FOUND');
    const listed = expectStatus(await berth.anonymous.get('/api/v1/projects'), 200).body as { items: { name: string }[] };
    assert.ok(listed.items.every((project) => project.name !== 'team') && listed.items.some((project) => project.name === 'open'));
  });

  it('lets project admins change visibility, and refuses lower roles naming the role needed', async () => {
    for (const role of ['maintainer', 'developer', 'guest', 'limited-guest']) {
      const response = expectStatus(await clients[role]!.patch('/api/v1/projects/team', { public: true }), 403, 'DENIED');
      assert.match(errorMessage(response), /update-project \(project role admin\)/);
    }
    expectStatus(await clients.outsider!.patch('/api/v1/projects/team', { public: true }), 404, 'NOT_FOUND');
    const changed = expectStatus(await clients.admin!.patch('/api/v1/projects/team', { public: true }), 200).body;
    assert.equal(changed.public, true);
    expectStatus(await clients.outsider!.get('/api/v1/projects/team'), 200);
    expectStatus(await admin.patch('/api/v1/projects/team', { public: false }), 200);
    expectStatus(await clients.outsider!.get('/api/v1/projects/team'), 404);
    expectStatus(await admin.patch('/api/v1/projects/team', {}), 400, 'INVALID_REQUEST');
    const events = await auditEvents(admin, 'action=project.update&project=team');
    assert.deepEqual(events.map((event) => [event.actor, event.outcome, event.detail.public ?? null]).slice(0, 2),
      [['admin', 'ok', false], ['admin-user', 'ok', true]]);
    const denied = await auditEvents(admin, 'action=project.update&outcome=denied');
    assert.equal(denied.length, 4);
  });

  it('lists members to guests and above (limited guests and outsiders cannot)', async () => {
    for (const role of ['admin', 'maintainer', 'developer', 'guest']) {
      const members = expectStatus(await clients[role]!.get('/api/v1/projects/team/members'), 200).body.items;
      assert.ok(members.some((member: { name: string }) => member.name === 'developer-user'));
    }
    const refused = expectStatus(await clients['limited-guest']!.get('/api/v1/projects/team/members'), 403, 'DENIED');
    assert.match(errorMessage(refused), /view-members \(project role guest or higher\)/);
    expectStatus(await clients.outsider!.get('/api/v1/projects/team/members'), 404, 'NOT_FOUND');
    const members = expectStatus(await admin.get('/api/v1/projects/team/members'), 200).body.items;
    assert.deepEqual(members.find((member: { name: string }) => member.name === 'guest-user'), { kind: 'user', name: 'guest-user', role: 'guest' });
  });

  it('pages through members with Link headers', async () => {
    const { items, pages, links } = await walk<{ kind: string; name: string }>(admin, '/api/v1/projects/team/members?n=2');
    assert.equal(items.length, 5);
    assert.deepEqual(pages, [2, 2, 1]);
    assert.match(links[0]!, /^<\/api\/v1\/projects\/team\/members\?n=2&last=user%3Adeveloper-user>; rel="next"$/);
    assert.equal(new Set(items.map((item) => item.name)).size, 5);
  });

  it('lets project admins give and take roles; the user or group must exist', async () => {
    const projectAdmin = clients.admin!;
    await createUser(admin, 'newcomer');
    const set = expectStatus(await projectAdmin.put('/api/v1/projects/team/members', { kind: 'user', name: 'newcomer', role: 'guest' }), 200).body;
    assert.deepEqual(set, { kind: 'user', name: 'newcomer', role: 'guest' });
    const changed = expectStatus(await projectAdmin.put('/api/v1/projects/team/members', { kind: 'user', name: 'newcomer', role: 'developer' }), 200).body;
    assert.equal(changed.role, 'developer');
    const newcomer = admin.as({ username: 'newcomer', password: 'newcomer-password' });
    expectStatus(await newcomer.get('/api/v1/projects/team'), 200);
    expectStatus(await projectAdmin.put('/api/v1/projects/team/members', { kind: 'user', name: 'ghost', role: 'guest' }), 404, 'NOT_FOUND');
    expectStatus(await projectAdmin.put('/api/v1/projects/team/members', { kind: 'group', name: 'ghosts', role: 'guest' }), 404, 'NOT_FOUND');
    const badRole = expectStatus(await projectAdmin.put('/api/v1/projects/team/members', { kind: 'user', name: 'newcomer', role: 'owner' }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(badRole), /^body\.role: send one of "limited-guest", "guest", "developer", "maintainer", "admin"/);
    expectStatus(await projectAdmin.put('/api/v1/projects/team/members', { kind: 'robot', name: 'x', role: 'guest' }), 400, 'INVALID_REQUEST');
    for (const role of ['maintainer', 'developer', 'guest', 'limited-guest']) {
      const response = expectStatus(await clients[role]!.put('/api/v1/projects/team/members', { kind: 'user', name: 'newcomer', role: 'admin' }), 403, 'DENIED');
      assert.match(errorMessage(response), /manage-members/);
    }
    expectStatus(await projectAdmin.delete('/api/v1/projects/team/members/user/newcomer'), 204);
    expectStatus(await newcomer.get('/api/v1/projects/team'), 404);
    expectStatus(await projectAdmin.delete('/api/v1/projects/team/members/user/newcomer'), 404, 'NOT_FOUND');
    expectStatus(await projectAdmin.delete('/api/v1/projects/team/members/robot/newcomer'), 400, 'INVALID_REQUEST');
    expectStatus(await clients.developer!.delete('/api/v1/projects/team/members/user/guest-user'), 403, 'DENIED');
    const events = await auditEvents(admin, 'project=team&actor=admin-user&action=member');
    assert.deepEqual(events.map((event) => event.action), ['member.remove', 'member.set', 'member.set']);
    assert.deepEqual(events[1].detail, { target: 'user:newcomer', project: 'team', kind: 'user', name: 'newcomer', role: 'developer' });
    assert.equal(events[0].repository, 'team');
    const denied = await auditEvents(admin, 'action=member.set&outcome=denied');
    assert.equal(denied.length, 4);
    assert.equal(denied[0].repository, 'team');
  });

  it('refuses to delete a project that holds repositories, naming them; deletes it once empty', async () => {
    await createProject(admin, 'busy');
    const bytes = Buffer.from('a layer');
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const pushed = await fetch(`${berth.registry.url}/v2/busy/app/blobs/uploads/?digest=${digest}`, {
      method: 'POST', headers: { authorization: basic('admin', adminPassword), 'content-type': 'application/octet-stream' }, body: bytes,
    });
    assert.equal(pushed.status, 201);
    const refused = expectStatus(await admin.delete('/api/v1/projects/busy'), 409, 'CONFLICT');
    assert.match(errorMessage(refused), /busy\/app/);
    expectStatus(await admin.get('/api/v1/projects/busy'), 200);

    await createProject(admin, 'empty');
    await setRole(admin, 'empty', 'user', 'developer-user', 'admin');
    await setRole(admin, 'empty', 'user', 'maintainer-user', 'maintainer');
    expectStatus(await clients.maintainer!.delete('/api/v1/projects/empty'), 403, 'DENIED');
    expectStatus(await clients.outsider!.delete('/api/v1/projects/empty'), 404, 'NOT_FOUND');
    expectStatus(await clients.developer!.delete('/api/v1/projects/empty'), 204);
    expectStatus(await admin.get('/api/v1/projects/empty'), 404);
    expectStatus(await admin.delete('/api/v1/projects/empty'), 404, 'NOT_FOUND');
    const [event] = await auditEvents(admin, 'action=project.delete&outcome=ok');
    assert.equal(event.actor, 'developer-user');
    assert.equal(event.repository, 'empty');
    // The name is free again, for a new project without the old one's members.
    expectStatus(await admin.post('/api/v1/projects', { name: 'empty' }), 201);
    assert.deepEqual(expectStatus(await admin.get('/api/v1/projects/empty/members'), 200).body.items, []);
  });
});
