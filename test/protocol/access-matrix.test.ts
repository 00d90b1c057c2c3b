/**
 * The permission matrix: every kind of principal (anonymous, a user without a role, a user in each project role, a
 * system administrator, robots) x every registry action (pull, push, delete) x a public and a private project, asked
 * both with HTTP Basic on each request and with a token from the token endpoint. Each answer is checked: allowed
 * requests reach their handler; refusals are 401 with a Bearer challenge for anonymous callers and 403 DENIED for
 * known ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessFixtures, basic, fetchToken, pushImage } from '../support/access-fixtures.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';

type Action = 'pull' | 'push' | 'delete';
const actions: Action[] = ['pull', 'push', 'delete'];
const projects = { pub: true, priv: false } as const;
const password = 'matrix-password';
const adminPassword = 'admin-password';

interface Principal {
  readonly label: string;
  readonly username?: string;
  readonly secret?: string;
  /** What this principal may do in a project of the given visibility. */
  readonly expected: (isPublic: boolean) => readonly Action[];
}

const roleActions: Record<string, Action[]> = {
  'limited-guest': ['pull'],
  guest: ['pull'],
  developer: ['pull', 'push'],
  maintainer: ['pull', 'push', 'delete'],
  admin: ['pull', 'push', 'delete'],
};

let server: InProcessBerth;
const principals: Principal[] = [
  { label: 'anonymous', expected: (isPublic) => (isPublic ? ['pull'] : []) },
  { label: 'a user without a role', username: 'outsider', expected: (isPublic) => (isPublic ? ['pull'] : []) },
  ...Object.entries(roleActions).map(([role, granted]): Principal => ({ label: `a ${role}`, username: `role-${role}`, expected: () => granted })),
  { label: 'a system administrator', username: 'sysadmin', expected: () => actions },
  { label: 'a pull robot', username: 'robot$puller', expected: () => ['pull'] },
  { label: 'a push robot', username: 'robot$pusher', expected: () => ['pull', 'push'] },
  { label: 'a robot for the other project only', username: 'robot$elsewhere', expected: (isPublic) => (isPublic ? ['pull'] : []) },
  { label: 'a delete robot without pull', username: 'robot$deleter', expected: (isPublic) => (isPublic ? ['pull', 'delete'] : ['delete']) },
];
const secrets = new Map<string, string>();

before(async () => {
  server = await startInProcess({ auth: { adminPassword } });
  const fixtures = new AccessFixtures(server.berth);
  for (const [name, isPublic] of Object.entries(projects)) {
    await fixtures.project(name, isPublic);
    await pushImage(server.url, `${name}/app`, 'v1', basic('admin', adminPassword));
  }
  await fixtures.project('other', false);
  await fixtures.user('outsider', password);
  await fixtures.user('sysadmin', password, { admin: true });
  for (const role of Object.keys(roleActions)) {
    await fixtures.user(`role-${role}`, password);
    for (const project of Object.keys(projects)) await fixtures.role(project, `role-${role}`, role as never);
  }
  const robots = {
    puller: [{ project: 'pub', actions: ['pull'] }, { project: 'priv', actions: ['pull'] }],
    pusher: [{ project: 'pub', actions: ['pull', 'push'] }, { project: 'priv', actions: ['pull', 'push'] }],
    elsewhere: [{ project: 'other', actions: ['pull', 'push', 'delete'] }],
    deleter: [{ project: 'pub', actions: ['delete'] }, { project: 'priv', actions: ['delete'] }],
  } as const;
  for (const [name, permissions] of Object.entries(robots)) {
    const robot = await fixtures.robot(name, permissions.map((p) => ({ project: p.project, actions: [...p.actions] })));
    secrets.set(robot.username, robot.secret);
  }
});

after(async () => { await server?.close(); });

/** One request that needs `action` on `<project>/app`; its status when allowed. */
function attempt(action: Action, project: string, authorization: string | undefined): Promise<Response> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const base = `${server.url}/v2/${project}/app`;
  switch (action) {
    case 'pull':
      return fetch(`${base}/manifests/v1`, { headers: { ...headers, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    case 'push':
      return fetch(`${base}/blobs/uploads/`, { method: 'POST', headers });
    case 'delete':
      // A digest that names nothing: an allowed delete reaches the handler and is told so, and nothing is lost.
      return fetch(`${base}/manifests/sha256:${'0'.repeat(64)}`, { method: 'DELETE', headers });
  }
}
const allowedStatus: Record<Action, number> = { pull: 200, push: 202, delete: 404 };

async function check(principal: Principal, mode: 'basic' | 'token', project: keyof typeof projects): Promise<void> {
  const expected = principal.expected(projects[project]);
  const credentials = principal.username ? basic(principal.username, secrets.get(principal.username) ?? password) : undefined;
  let authorization = credentials;
  if (mode === 'token') {
    const token = await fetchToken(server.url, [`repository:${project}/app:pull,push,delete`], credentials);
    authorization = `Bearer ${token}`;
  }
  for (const action of actions) {
    const response = await attempt(action, project, authorization);
    const text = await response.text();
    const context = `${principal.label} ${action} on ${project} (${mode}): ${response.status} ${text}`;
    if (expected.includes(action)) {
      assert.equal(response.status, allowedStatus[action], context);
      continue;
    }
    if (principal.username === undefined) {
      assert.equal(response.status, 401, context);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/auth\/token",service="berth",scope="repository:/, context);
      assert.equal(JSON.parse(text).errors[0].code, 'UNAUTHORIZED', context);
    } else {
      assert.equal(response.status, 403, context);
      assert.equal(JSON.parse(text).errors[0].code, 'DENIED', context);
    }
  }
}

for (const mode of ['basic', 'token'] as const) {
  describe(`permission matrix with ${mode === 'basic' ? 'HTTP Basic on each request' : 'tokens from the token endpoint'}`, () => {
    for (const principal of principals) {
      for (const project of Object.keys(projects) as (keyof typeof projects)[]) {
        const granted = principal.expected(projects[project]);
        it(`${principal.label} in a ${projects[project] ? 'public' : 'private'} project may ${granted.length ? granted.join(', ') : 'do nothing'}`, async () => {
          await check(principal, mode, project);
        });
      }
    }
  });
}

describe('what is not a repository action', () => {
  it('lists the catalog for system administrators only', async () => {
    assert.equal((await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: basic('sysadmin', password) } })).status, 200);
    const denied = await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: basic('role-admin', password) } });
    assert.equal(denied.status, 403);
    const anonymous = await fetch(`${server.url}/v2/_catalog`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate')!, /scope="registry:catalog:\*"/);
    const token = await fetchToken(server.url, ['registry:catalog:*'], basic('sysadmin', password));
    const listed = await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual((await listed.json() as { repositories: string[] }).repositories, ['priv/app', 'pub/app']);
  });

  it('answers /v2/ to any valid credentials or token, and challenges without them', async () => {
    const anonymous = await fetch(`${server.url}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), `Bearer realm="${server.url}/auth/token",service="berth"`);
    assert.equal((await fetch(`${server.url}/v2/`, { headers: { authorization: basic('outsider', password) } })).status, 200);
    const anonymousToken = await fetchToken(server.url, []);
    assert.equal((await fetch(`${server.url}/v2/`, { headers: { authorization: `Bearer ${anonymousToken}` } })).status, 200);
  });

  it('refuses a private repository and a missing one alike, so neither reveals it exists', async () => {
    for (const name of ['priv/app', 'priv/missing', 'nosuchproject/app']) {
      const anonymous = await fetch(`${server.url}/v2/${name}/tags/list`);
      assert.equal(anonymous.status, 401, name);
      const outsider = await fetch(`${server.url}/v2/${name}/tags/list`, { headers: { authorization: basic('outsider', password) } });
      assert.equal(outsider.status, 403, name);
      assert.equal(JSON.parse(await outsider.text()).errors[0].code, 'DENIED');
    }
  });

  it('grants a token only the actions allowed, keeping refused scopes with no actions', async () => {
    const token = await fetchToken(server.url, ['repository:priv/app:pull,push,delete', 'repository:pub/app:push'], basic('role-guest', password));
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: unknown; sub: string; aud: string; iss: string };
    assert.deepEqual(claims.access, [
      { type: 'repository', name: 'priv/app', actions: ['pull'] },
      { type: 'repository', name: 'pub/app', actions: [] },
    ]);
    assert.equal(claims.sub, 'role-guest');
    assert.equal(claims.aud, 'berth');
  });

  it('mounts a blob only from a repository the caller may pull', async () => {
    const fixtures = new AccessFixtures(server.berth);
    await fixtures.user('mounter', password);
    await fixtures.project('mine', false);
    await fixtures.role('mine', 'mounter', 'developer');
    const manifest = await (await fetch(`${server.url}/v2/priv/app/manifests/v1`, {
      headers: { authorization: basic('admin', adminPassword), accept: 'application/vnd.oci.image.manifest.v1+json' },
    })).json() as { layers: { digest: string }[] };
    const layer = manifest.layers[0]!.digest;
    const mount = await fetch(`${server.url}/v2/mine/app/blobs/uploads/?mount=${layer}&from=priv/app`, {
      method: 'POST', headers: { authorization: basic('mounter', password) },
    });
    assert.equal(mount.status, 202, 'an unreadable source gives an ordinary upload session, not the blob');
    await fixtures.role('priv', 'mounter', 'guest');
    const allowed = await fetch(`${server.url}/v2/mine/app/blobs/uploads/?mount=${layer}&from=priv/app`, {
      method: 'POST', headers: { authorization: basic('mounter', password) },
    });
    assert.equal(allowed.status, 201);
  });

  it('lets an administrator\'s first push create a private project, and nobody else\'s', async () => {
    await pushImage(server.url, 'brandnew/app', 'v1', basic('sysadmin', password));
    const project = await server.berth.access.store.projectByName('brandnew');
    assert.equal(project?.public, false);
    assert.equal(project?.createdBy, 'sysadmin');
    assert.equal((await fetch(`${server.url}/v2/brandnew/app/manifests/v1`)).status, 401);
    await assert.rejects(pushImage(server.url, 'outsiders/app', 'v1', basic('outsider', password)), /403/);
    assert.equal(await server.berth.access.store.projectByName('outsiders'), undefined);
  });
});

describe('tokens follow the store, not only their own claims', () => {
  const manifestGet = (name: string, token: string) => fetch(`${server.url}/v2/${name}/manifests/v1`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
  });

  it('stops a revoked robot\'s token at its next request', async () => {
    const robot = await new AccessFixtures(server.berth).robot('soon-revoked', [{ project: 'priv', actions: ['pull'] }]);
    const token = await fetchToken(server.url, ['repository:priv/app:pull'], basic(robot.username, robot.secret));
    assert.equal((await manifestGet('priv/app', token)).status, 200);
    const stored = await server.berth.access.store.robotByName(robot.username);
    await server.berth.access.store.updateRobot(stored!.id, { revokedAt: Date.now() });
    const refused = await manifestGet('priv/app', token);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate')!, /error="invalid_token"/);
    assert.match(await refused.text(), /disabled, revoked, expired or gone/);
  });

  it('stops a disabled user\'s token, and takes a removed role away from a token at once', async () => {
    const fixtures = new AccessFixtures(server.berth);
    await fixtures.user('short-lived', password);
    await fixtures.role('priv', 'short-lived', 'developer');
    const token = await fetchToken(server.url, ['repository:priv/app:pull,push'], basic('short-lived', password));
    assert.equal((await manifestGet('priv/app', token)).status, 200);
    const project = await server.berth.access.store.projectByName('priv');
    const user = await server.berth.access.store.userByName('short-lived');
    await server.berth.access.store.removeMember(project!.id, { kind: 'user', id: user!.id });
    const denied = await manifestGet('priv/app', token);
    assert.equal(denied.status, 403);
    await server.berth.access.store.updateUser(user!.id, { disabled: true, now: Date.now() });
    assert.equal((await manifestGet('priv/app', token)).status, 401);
  });

  it('stops an anonymous token once its project is made private', async () => {
    const fixtures = new AccessFixtures(server.berth);
    await fixtures.project('briefly-public', true);
    await pushImage(server.url, 'briefly-public/app', 'v1', basic('admin', adminPassword));
    const token = await fetchToken(server.url, ['repository:briefly-public/app:pull']);
    assert.equal((await manifestGet('briefly-public/app', token)).status, 200);
    const project = await server.berth.access.store.projectByName('briefly-public');
    await server.berth.access.store.updateProject(project!.id, { public: false });
    const refused = await manifestGet('briefly-public/app', token);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate')!, /error="insufficient_scope"/);
  });
});
