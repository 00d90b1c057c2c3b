import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  adminPassword, auditEvents, basic, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, walk,
  type ApiBerth, type ApiClient,
} from '../support/api-client.js';

interface Event {
  id: number; at: string; actor: string; actorKind: string; action: string; repository: string | null; digest: string | null;
  tag: string | null; address: string | null; outcome: string; detail: Record<string, unknown> | null;
}

/** /api/v1/audit and its NDJSON export: what was recorded, who may read which part, and paging. */
describe('administration API: audit log', () => {
  let berth: ApiBerth;
  let admin: ApiClient;
  let guest: ApiClient;
  let limited: ApiClient;
  let outsider: ApiClient;
  let robot: ApiClient;

  before(async () => {
    berth = await startApiBerth();
    admin = berth.admin;
    await createProject(admin, 'team');
    await createProject(admin, 'team_x');
    await createProject(admin, 'other');
    guest = await createUser(admin, 'guest');
    limited = await createUser(admin, 'limited');
    outsider = await createUser(admin, 'outsider');
    await setRole(admin, 'team', 'user', 'guest', 'guest');
    await setRole(admin, 'team', 'user', 'limited', 'limited-guest');
    const created = expectStatus(await admin.post('/api/v1/robots', { name: 'ci', permissions: [{ project: 'team', actions: ['pull', 'push'] }] }), 201);
    robot = admin.as({ username: 'robot$ci', password: created.body.secret });
    // Registry events, as the registry records them, for the filters to work on.
    const audit = berth.registry.berth.access.audit;
    const base = Date.parse('2024-01-01T00:00:00Z');
    for (const [i, repository] of ['team/app', 'team/app', 'team', 'team_x/app', 'teamx/app', 'other/app'].entries()) {
      audit.record({ at: base + i * 60_000, actor: 'robot$ci', actorKind: 'robot', action: 'pull', repository, digest: `sha256:${String(i).repeat(64)}`, tag: 'v1', address: '10.0.0.1', outcome: 'ok' });
    }
    audit.record({ at: base + 10 * 60_000, actor: 'outsider', actorKind: 'user', action: 'push', repository: 'team/app', address: '10.0.0.2', outcome: 'denied' });
  });
  after(async () => { await berth.close(); });

  it('records every kind of change the API makes', async () => {
    const user = await createUser(admin, 'temp');
    expectStatus(await admin.patch('/api/v1/users/temp', { displayName: 'Temp' }), 200);
    expectStatus(await admin.post('/api/v1/projects', { name: 'audited' }), 201);
    expectStatus(await admin.patch('/api/v1/projects/audited', { public: true }), 200);
    await setRole(admin, 'audited', 'user', 'temp', 'guest');
    expectStatus(await admin.delete('/api/v1/projects/audited/members/user/temp'), 204);
    const robotSecret = expectStatus(await admin.post('/api/v1/robots', { name: 'audited', permissions: [{ project: 'audited', actions: ['pull'] }] }), 201).body.secret;
    assert.ok(robotSecret);
    expectStatus(await admin.patch('/api/v1/robots/robot$audited', { description: 'd' }), 200);
    expectStatus(await admin.post('/api/v1/robots/robot$audited/secret'), 200);
    expectStatus(await admin.post('/api/v1/robots/robot$audited/revoke'), 200);
    expectStatus(await admin.delete('/api/v1/robots/robot$audited'), 204);
    expectStatus(await admin.post('/api/v1/groups', { name: 'audited', source: 'local' }), 201);
    expectStatus(await admin.put('/api/v1/groups/audited/members/temp'), 204);
    expectStatus(await admin.delete('/api/v1/groups/audited/members/temp'), 204);
    expectStatus(await admin.delete('/api/v1/groups/audited'), 204);
    const secret = expectStatus(await user.post('/api/v1/users/me/cli-secrets', { name: 'audited' }), 201).body;
    expectStatus(await user.delete(`/api/v1/users/me/cli-secrets/${secret.id}`), 204);
    expectStatus(await admin.delete('/api/v1/projects/audited'), 204);
    expectStatus(await admin.delete('/api/v1/users/temp'), 204);

    const recorded = new Set((await auditEvents(admin, 'outcome=ok')).map((event: Event) => event.action));
    for (const action of ['user.create', 'user.update', 'user.delete', 'project.create', 'project.update', 'project.delete',
      'member.set', 'member.remove', 'robot.create', 'robot.update', 'robot.revoke', 'robot.rotate', 'robot.delete',
      'group.create', 'group.delete', 'group.member.add', 'group.member.remove', 'cli-secret.create', 'cli-secret.revoke']) {
      assert.ok(recorded.has(action), action);
    }
    const everything = JSON.stringify(await auditEvents(admin, ''));
    assert.doesNotMatch(everything, new RegExp(robotSecret));
    assert.doesNotMatch(everything, new RegExp(secret.secret));
    assert.doesNotMatch(everything, /temp-password/);
    const projectEvents = await auditEvents(admin, 'project=audited');
    assert.deepEqual(projectEvents.map((event: Event) => event.action), [
      'project.delete', 'robot.delete', 'robot.revoke', 'robot.rotate', 'robot.update', 'robot.create', 'member.remove', 'member.set',
      'project.update', 'project.create',
    ]);
  });

  it('answers events newest first in the documented shape', async () => {
    const events = await auditEvents(admin, 'actor=outsider&action=push') as Event[];
    assert.equal(events.length, 1);
    assert.deepEqual({ ...events[0]!, id: 0 }, {
      id: 0, at: '2024-01-01T00:10:00.000Z', actor: 'outsider', actorKind: 'user', action: 'push', repository: 'team/app',
      digest: null, tag: null, address: '10.0.0.2', outcome: 'denied', detail: null,
    });
    const all = await auditEvents(admin, '') as Event[];
    assert.deepEqual(all.map((event) => event.id), [...all.map((event) => event.id)].sort((a, b) => b - a));
  });

  it('filters by actor, action, repository, project, outcome and time', async () => {
    const repositories = async (query: string) => (await auditEvents(admin, `action=pull&${query}`) as Event[]).map((event) => event.repository);
    assert.deepEqual(await repositories('repository=team/app'), ['team/app', 'team/app']);
    assert.deepEqual(await repositories('project=team'), ['team', 'team/app', 'team/app'], 'neither team_x nor teamx');
    assert.deepEqual(await repositories('project=team_x'), ['team_x/app']);
    assert.deepEqual(await repositories('since=2024-01-01T00:02:00Z&until=2024-01-01T00:04:00Z'), ['team_x/app', 'team']);
    assert.deepEqual(await repositories(`since=${Date.parse('2024-01-01T00:05:00Z')}`), ['other/app']);
    assert.equal((await auditEvents(admin, 'outcome=denied&action=push')).length, 1);
    assert.equal((await auditEvents(admin, 'actor=robot$ci&action=pull')).length, 6);
    const badTime = expectStatus(await admin.get('/api/v1/audit?since=yesterday'), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(badTime), /^query\.since: send an ISO 8601 time/);
    expectStatus(await admin.get('/api/v1/audit?outcome=maybe'), 400, 'INVALID_REQUEST');
    expectStatus(await admin.get('/api/v1/audit?last=abc'), 400, 'INVALID_REQUEST');
    expectStatus(await admin.get('/api/v1/audit?project=Bad/Name'), 400, 'INVALID_REQUEST');
  });

  it('pages by event id with Link headers that keep the filters', async () => {
    const { items, pages, links } = await walk<Event>(admin, '/api/v1/audit?action=pull&since=2024-01-01T00:00:00Z&n=4');
    assert.equal(items.length, 6);
    assert.deepEqual(pages, [4, 2]);
    assert.equal(links[0], `</api/v1/audit?n=4&last=${items[3]!.id}&action=pull&since=2024-01-01T00%3A00%3A00Z>; rel="next"`);
    const first = expectStatus(await admin.get('/api/v1/audit?action=pull&n=4'), 200).body;
    assert.equal(first.next, String(items[3]!.id));
  });

  it('lets users read the events of a project where they hold view-members, and no more', async () => {
    const wholeLog = expectStatus(await guest.get('/api/v1/audit'), 403, 'DENIED');
    assert.match(errorMessage(wholeLog), /project=<name>/);
    const teamEvents = expectStatus(await guest.get('/api/v1/audit?project=team&n=1000'), 200).body.items as Event[];
    assert.ok(teamEvents.length > 0);
    for (const event of teamEvents) assert.ok(event.repository === 'team' || event.repository!.startsWith('team/'), event.repository!);
    expectStatus(await guest.get('/api/v1/audit?repository=team/app'), 200);
    expectStatus(await guest.get('/api/v1/audit?project=other'), 404, 'NOT_FOUND');
    expectStatus(await guest.get('/api/v1/audit?repository=other/app'), 404, 'NOT_FOUND');
    const refused = expectStatus(await limited.get('/api/v1/audit?project=team'), 403, 'DENIED');
    assert.match(errorMessage(refused), /view-members \(project role guest or higher\)/);
    expectStatus(await outsider.get('/api/v1/audit?project=team'), 404, 'NOT_FOUND');
    expectStatus(await robot.get('/api/v1/audit?project=team'), 403, 'DENIED');
    expectStatus(await berth.anonymous.get('/api/v1/audit?project=team'), 401, 'UNAUTHORIZED');
    expectStatus(await guest.get('/api/v1/audit/export?project=team'), 200);
    expectStatus(await guest.get('/api/v1/audit/export'), 403, 'DENIED');
  });

  it('exports every matching event as NDJSON, newest first, across many pages', async () => {
    const audit = berth.registry.berth.access.audit;
    const base = Date.parse('2023-06-01T00:00:00Z');
    for (let i = 0; i < 2500; i++) {
      audit.record({ at: base + i, actor: 'bulk', actorKind: 'user', action: 'pull', repository: `bulk/app${i % 3}`, address: '10.0.0.9', outcome: 'ok' });
    }
    const exported = (query: string) => fetch(`${berth.registry.url}/api/v1/audit/export?${query}`, { headers: { authorization: basic('admin', adminPassword) } });
    const lines = async (query: string) => (await (await exported(query)).text()).trimEnd().split('\n').length;
    const response = await exported('actor=bulk');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const text = await response.text();
    assert.ok(text.endsWith('\n'));
    const events = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Event);
    assert.equal(events.length, 2500);
    assert.deepEqual(events.map((event) => event.id), [...events.map((event) => event.id)].sort((a, b) => b - a));
    assert.equal(new Set(events.map((event) => event.id)).size, 2500);
    assert.equal(events[0]!.at, new Date(base + 2499).toISOString());
    assert.equal(await lines('actor=bulk&repository=bulk/app1'), 833);
    assert.equal(await lines(`actor=bulk&last=${events[9]!.id}`), 2490);
    const none = await exported('actor=nobody');
    assert.equal(none.status, 200);
    assert.equal(await none.text(), '');
  });
});
