import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  auditEvents, basic, createProject, createUser, errorMessage, expectStatus, setRole, startApiBerth, walk,
  type ApiBerth, type ApiClient,
} from '../support/api-client.js';

/** /api/v1/robots: robot accounts, their one-time secrets, and who may manage which. */
describe('administration API: robot accounts', () => {
  let berth: ApiBerth;
  let admin: ApiClient;
  let teamAdmin: ApiClient;
  let developer: ApiClient;
  let guest: ApiClient;

  before(async () => {
    berth = await startApiBerth();
    admin = berth.admin;
    await createProject(admin, 'team');
    await createProject(admin, 'other');
    teamAdmin = await createUser(admin, 'team-admin');
    developer = await createUser(admin, 'dev');
    guest = await createUser(admin, 'guest');
    await setRole(admin, 'team', 'user', 'team-admin', 'admin');
    await setRole(admin, 'team', 'user', 'dev', 'developer');
    await setRole(admin, 'other', 'user', 'dev', 'admin');
    await setRole(admin, 'team', 'user', 'guest', 'guest');
  });
  after(async () => { await berth.close(); });

  /** The repository access a token from the token endpoint grants, for Basic credentials. */
  const granted = async (username: string, password: string, scope: string): Promise<{ status: number; actions: string[] }> => {
    const response = await fetch(`${berth.registry.url}/auth/token?service=berth&scope=${encodeURIComponent(scope)}`, {
      headers: { authorization: basic(username, password) },
    });
    if (response.status !== 200) return { status: response.status, actions: [] };
    const { token } = await response.json() as { token: string };
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: { actions: string[] }[] };
    return { status: 200, actions: payload.access[0]?.actions ?? [] };
  };

  it('creates a robot named robot$<name> and shows its secret once; the secret works at the token endpoint', async () => {
    const response = expectStatus(await admin.post('/api/v1/robots', {
      name: 'ci', description: 'builds', permissions: [{ project: 'team', actions: ['push', 'pull', 'pull'] }], expiresInDays: 30,
    }), 201);
    const robot = response.body;
    assert.equal(robot.name, 'robot$ci');
    assert.equal(robot.description, 'builds');
    assert.deepEqual(robot.permissions, [{ project: 'team', actions: ['pull', 'push'] }]);
    assert.match(robot.secret, /^berth_rbt_[A-Za-z0-9_-]{43}$/);
    assert.equal(robot.createdBy, 'admin');
    assert.equal(robot.revokedAt, null);
    const expires = Date.parse(robot.expiresAt) - Date.now();
    assert.ok(expires > 29.9 * 86400_000 && expires <= 30 * 86400_000);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual((await granted('robot$ci', robot.secret, 'repository:team/app:pull,push,delete')), { status: 200, actions: ['pull', 'push'] });
    assert.deepEqual((await granted('robot$ci', robot.secret, 'repository:other/app:pull')).actions, []);
    const fetched = expectStatus(await admin.get('/api/v1/robots/robot$ci'), 200);
    assert.equal(fetched.body.secret, undefined);
    assert.deepEqual(Object.keys(fetched.body).sort(),
      ['createdAt', 'createdBy', 'description', 'expiresAt', 'id', 'lastUsedAt', 'name', 'permissions', 'revokedAt']);
    assert.ok(fetched.body.lastUsedAt !== null, 'the login is recorded');
    assert.doesNotMatch(fetched.text, new RegExp(robot.secret));
    // The prefix may be left out, and the name may be percent-encoded.
    expectStatus(await admin.get('/api/v1/robots/ci'), 200);
    expectStatus(await admin.get('/api/v1/robots/robot%24ci'), 200);
    const [event] = await auditEvents(admin, 'action=robot.create');
    assert.equal(event.repository, 'team');
    assert.equal(event.detail.target, 'robot$ci');
    assert.doesNotMatch(JSON.stringify(event), new RegExp(robot.secret));
  });

  it('refuses a taken name, bad names, bad permissions and missing projects', async () => {
    expectStatus(await admin.post('/api/v1/robots', { name: 'ci', permissions: [{ project: 'team', actions: ['pull'] }] }), 409, 'CONFLICT');
    const prefixed = expectStatus(await admin.post('/api/v1/robots', { name: 'robot$x', permissions: [{ project: 'team', actions: ['pull'] }] }), 400, 'INVALID_REQUEST');
    assert.match(errorMessage(prefixed), /without the "robot\$" prefix/);
    for (const name of ['Upper', 'a--b', '-a', 'x'.repeat(65)]) {
      expectStatus(await admin.post('/api/v1/robots', { name, permissions: [{ project: 'team', actions: ['pull'] }] }), 400, 'INVALID_REQUEST');
    }
    const cases: [unknown, RegExp][] = [
      [[], /^body\.permissions: send at least one permission/],
      [[{ project: 'team', actions: [] }], /^body\.permissions\[0\]\.actions: /],
      [[{ project: 'team', actions: ['write'] }], /^body\.permissions\[0\]\.actions\[0\]: send one of "pull", "push", "delete"/],
      [[{ project: 'Team!', actions: ['pull'] }], /^body\.permissions\[0\]\.project: /],
      [[{ project: 'team', actions: ['pull'] }, { project: 'team', actions: ['push'] }], /^body\.permissions\[1\]\.project: "team" is listed twice/],
    ];
    for (const [permissions, message] of cases) {
      const response = expectStatus(await admin.post('/api/v1/robots', { name: 'bad', permissions }), 400, 'INVALID_REQUEST');
      assert.match(errorMessage(response), message);
    }
    expectStatus(await admin.post('/api/v1/robots', { name: 'bad', permissions: [{ project: 'team', actions: ['pull'] }], expiresInDays: 0 }), 400, 'INVALID_REQUEST');
    const missing = expectStatus(await admin.post('/api/v1/robots', { name: 'bad', permissions: [{ project: 'nope', actions: ['pull'] }] }), 404, 'NOT_FOUND');
    assert.match(errorMessage(missing), /project "nope"/);
  });

  it('lets system administrators alone give a robot every project ("*")', async () => {
    const created = expectStatus(await admin.post('/api/v1/robots', { name: 'everywhere', permissions: [{ project: '*', actions: ['pull'] }] }), 201);
    assert.equal(created.body.expiresAt, null);
    assert.deepEqual((await granted('robot$everywhere', created.body.secret, 'repository:other/x:pull')).actions, ['pull']);
    const refused = expectStatus(await teamAdmin.post('/api/v1/robots', { name: 'sneaky', permissions: [{ project: '*', actions: ['pull'] }] }), 403, 'DENIED');
    assert.match(errorMessage(refused), /every project/);
    const [event] = await auditEvents(admin, 'action=robot.create&outcome=denied');
    assert.equal(event.actor, 'team-admin');
    assert.equal(event.detail.target, 'robot$sneaky');
  });

  it('lets a project admin manage robots of their projects only', async () => {
    const created = expectStatus(await teamAdmin.post('/api/v1/robots', { name: 'team-pusher', permissions: [{ project: 'team', actions: ['push'] }] }), 201);
    assert.equal(created.body.createdBy, 'team-admin');
    const other = expectStatus(await teamAdmin.post('/api/v1/robots', { name: 'x', permissions: [{ project: 'team', actions: ['pull'] }, { project: 'other', actions: ['pull'] }] }), 404, 'NOT_FOUND');
    assert.match(errorMessage(other), /other/, 'a project they cannot see is as missing');
    const dev = expectStatus(await developer.post('/api/v1/robots', { name: 'x', permissions: [{ project: 'team', actions: ['pull'] }] }), 403, 'DENIED');
    assert.match(errorMessage(dev), /manage-robots \(project role admin\)/);
    expectStatus(await guest.post('/api/v1/robots', { name: 'x', permissions: [{ project: 'team', actions: ['pull'] }] }), 403, 'DENIED');
    // "dev" administers "other" but is only a developer in "team": a robot naming both is beyond them.
    expectStatus(await developer.post('/api/v1/robots', { name: 'x', permissions: [{ project: 'other', actions: ['pull'] }, { project: 'team', actions: ['pull'] }] }), 403, 'DENIED');
    expectStatus(await developer.post('/api/v1/robots', { name: 'other-reader', permissions: [{ project: 'other', actions: ['pull'] }] }), 201);

    expectStatus(await teamAdmin.get('/api/v1/robots/robot$team-pusher'), 200);
    expectStatus(await teamAdmin.get('/api/v1/robots/robot$other-reader'), 403, 'DENIED');
    expectStatus(await teamAdmin.get('/api/v1/robots/robot$everywhere'), 403, 'DENIED');
    expectStatus(await developer.get('/api/v1/robots/robot$team-pusher'), 403, 'DENIED');
    expectStatus(await teamAdmin.post('/api/v1/robots/robot$other-reader/revoke'), 404, 'NOT_FOUND');
    expectStatus(await teamAdmin.post('/api/v1/robots/robot$everywhere/secret'), 403, 'DENIED');
    expectStatus(await teamAdmin.delete('/api/v1/robots/robot$everywhere'), 403, 'DENIED');
    expectStatus(await teamAdmin.get('/api/v1/robots/robot$nope'), 404, 'NOT_FOUND');
  });

  it('lists all robots to system administrators, and a project\'s robots to its admins', async () => {
    const all = await walk<{ name: string }>(admin, '/api/v1/robots?n=2');
    assert.deepEqual(all.items.map((robot) => robot.name), ['robot$ci', 'robot$everywhere', 'robot$other-reader', 'robot$team-pusher']);
    assert.deepEqual(all.pages, [2, 2]);
    assert.equal(all.links[0], '</api/v1/robots?n=2&last=robot%24everywhere>; rel="next"');
    const team = await walk<{ name: string }>(teamAdmin, '/api/v1/robots?project=team&n=1');
    assert.deepEqual(team.items.map((robot) => robot.name), ['robot$ci', 'robot$team-pusher']);
    assert.equal(team.links[0], '</api/v1/robots?n=1&last=robot%24ci&project=team>; rel="next"');
    const refused = expectStatus(await teamAdmin.get('/api/v1/robots'), 403, 'DENIED');
    assert.match(errorMessage(refused), /project=<name>/);
    expectStatus(await developer.get('/api/v1/robots?project=team'), 403, 'DENIED');
    expectStatus(await developer.get('/api/v1/robots?project=other'), 200);
    expectStatus(await guest.get('/api/v1/robots?project=other'), 404, 'NOT_FOUND');
  });

  it('changes description, permissions and expiry; a project admin cannot widen a robot beyond their projects', async () => {
    const changed = expectStatus(await teamAdmin.patch('/api/v1/robots/robot$team-pusher', {
      description: 'pushes team images', permissions: [{ project: 'team', actions: ['pull', 'push'] }], expiresInDays: 7,
    }), 200).body;
    assert.equal(changed.description, 'pushes team images');
    assert.deepEqual(changed.permissions, [{ project: 'team', actions: ['pull', 'push'] }]);
    assert.ok(changed.expiresAt !== null);
    const cleared = expectStatus(await teamAdmin.patch('/api/v1/robots/robot$team-pusher', { description: null, expiresInDays: null }), 200).body;
    assert.equal(cleared.description, null);
    assert.equal(cleared.expiresAt, null);
    expectStatus(await teamAdmin.patch('/api/v1/robots/robot$team-pusher', { permissions: [{ project: 'other', actions: ['pull'] }] }), 404, 'NOT_FOUND');
    expectStatus(await developer.patch('/api/v1/robots/robot$other-reader', { permissions: [{ project: 'team', actions: ['pull'] }] }), 403, 'DENIED');
    expectStatus(await admin.patch('/api/v1/robots/robot$team-pusher', { name: 'renamed' }), 400, 'INVALID_REQUEST');
    const events = await auditEvents(admin, 'action=robot.update&outcome=ok');
    assert.deepEqual(events[0].detail, { target: 'robot$team-pusher', description: null, expiresAt: null });
    assert.equal(events[0].repository, 'team');
  });

  it('rotates a secret: the new one works, the old one no longer does', async () => {
    const created = expectStatus(await teamAdmin.post('/api/v1/robots', { name: 'rotating', permissions: [{ project: 'team', actions: ['pull'] }] }), 201).body;
    const rotated = expectStatus(await teamAdmin.post('/api/v1/robots/robot$rotating/secret'), 200);
    assert.deepEqual(Object.keys(rotated.body), ['secret']);
    assert.notEqual(rotated.body.secret, created.secret);
    assert.equal((await granted('robot$rotating', created.secret, 'repository:team/app:pull')).status, 401);
    assert.deepEqual((await granted('robot$rotating', rotated.body.secret, 'repository:team/app:pull')).actions, ['pull']);
    const robotClient = admin.as({ username: 'robot$rotating', password: rotated.body.secret });
    const me = expectStatus(await robotClient.get('/api/v1/me'), 200).body;
    assert.equal(me.kind, 'robot');
    assert.equal(me.name, 'robot$rotating');
    assert.equal(me.admin, false);
    assert.deepEqual(me.permissions, [{ project: 'team', actions: ['pull'] }]);
    const [event] = await auditEvents(admin, 'action=robot.rotate');
    assert.deepEqual(event.detail, { target: 'robot$rotating' });
  });

  it('revokes a robot for good: its secret stops working, and it cannot be given a new one', async () => {
    const created = expectStatus(await teamAdmin.post('/api/v1/robots', { name: 'doomed', permissions: [{ project: 'team', actions: ['pull'] }] }), 201).body;
    const revoked = expectStatus(await teamAdmin.post('/api/v1/robots/robot$doomed/revoke'), 200).body;
    assert.ok(revoked.revokedAt !== null);
    const again = expectStatus(await teamAdmin.post('/api/v1/robots/robot$doomed/revoke'), 200).body;
    assert.equal(again.revokedAt, revoked.revokedAt);
    assert.equal((await granted('robot$doomed', created.secret, 'repository:team/app:pull')).status, 401);
    expectStatus(await admin.as({ username: 'robot$doomed', password: created.secret }).get('/api/v1/me'), 401, 'UNAUTHORIZED');
    expectStatus(await teamAdmin.post('/api/v1/robots/robot$doomed/secret'), 409, 'CONFLICT');
    const events = await auditEvents(admin, 'action=robot.revoke');
    assert.equal(events.length, 1, 'revoking twice is one change');
  });

  it('deletes a robot (204)', async () => {
    const created = expectStatus(await teamAdmin.post('/api/v1/robots', { name: 'gone', permissions: [{ project: 'team', actions: ['pull'] }] }), 201).body;
    expectStatus(await developer.delete('/api/v1/robots/robot$gone'), 403, 'DENIED');
    expectStatus(await teamAdmin.delete('/api/v1/robots/robot$gone'), 204);
    expectStatus(await teamAdmin.get('/api/v1/robots/robot$gone'), 404, 'NOT_FOUND');
    expectStatus(await teamAdmin.delete('/api/v1/robots/robot$gone'), 404, 'NOT_FOUND');
    assert.equal((await granted('robot$gone', created.secret, 'repository:team/app:pull')).status, 401);
    const actions = (await auditEvents(admin, 'action=robot.delete')).map((event) => [event.actor, event.outcome]);
    // Newest first; the oldest is the refusal of robot$everywhere to the team's admin, earlier in this suite.
    assert.deepEqual(actions, [['team-admin', 'ok'], ['dev', 'denied'], ['team-admin', 'denied']]);
  });

  it('keeps robots from managing robots', async () => {
    const created = expectStatus(await admin.post('/api/v1/robots', { name: 'meddler', permissions: [{ project: 'team', actions: ['pull', 'push', 'delete'] }] }), 201).body;
    const robotClient = admin.as({ username: 'robot$meddler', password: created.secret });
    expectStatus(await robotClient.post('/api/v1/robots', { name: 'child', permissions: [{ project: 'team', actions: ['pull'] }] }), 403, 'DENIED');
    expectStatus(await robotClient.get('/api/v1/robots?project=team'), 403, 'DENIED');
    expectStatus(await robotClient.get('/api/v1/robots'), 403, 'DENIED');
  });
});
