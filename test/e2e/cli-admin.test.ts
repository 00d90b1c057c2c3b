/*
 * The administration commands of the `berth` CLI, run as a user would (bin/berth.js in a child process) against a
 * real `berth serve` with access control on: login, users, projects, members, robots, groups, CLI secrets and the
 * audit log, and how failures read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/free-port.js';
import { removeDataDir, startBerthProcess, type BerthProcess } from '../support/berth-process.js';
import { runBerthCli } from '../support/berth-cli.js';

const adminPassword = 'admin-password-1';
const timeout = 60_000;

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

describe('berth CLI: administration commands', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let configDir: string;
  const scratch: string[] = [];

  /** Runs `berth <args>` with its own config folder and none of the caller's BERTH_* settings. */
  const berth = (args: string[], options: { input?: string; env?: Record<string, string>; stdoutFile?: string } = {}): Promise<Run> =>
    runBerthCli(args, { ...options, configDir, timeoutMs: timeout });
  const ok = (run: Run): Run => {
    assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    return run;
  };
  const fails = (run: Run, message: RegExp): void => {
    assert.equal(run.code, 1, `expected exit 1\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stderr, /^berth: /);
    assert.match(run.stderr, message);
  };
  const tokenStatus = async (username: string, secret: string, scope: string): Promise<{ status: number; actions: string[] }> => {
    const response = await fetch(`${server.url}/auth/token?service=berth&scope=${encodeURIComponent(scope)}`, {
      headers: { authorization: `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}` },
    });
    if (response.status !== 200) return { status: response.status, actions: [] };
    const { token } = await response.json() as { token: string };
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: { actions: string[] }[] };
    return { status: 200, actions: payload.access[0]!.actions };
  };

  before(async () => {
    server = await startBerthProcess({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
    configDir = mkdtempSync(join(tmpdir(), 'berth-cli-config-'));
    scratch.push(configDir);
  });
  after(async () => {
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it('says what to do before any login', async () => {
    fails(await berth(['user', 'list']), /run "berth login <url>" first/);
  });

  it('refuses a wrong password at login, storing nothing', async () => {
    fails(await berth(['login', server.url, '-u', 'admin', '--password-stdin'], { input: 'wrong-password\n' }), /invalid username or password/);
    assert.throws(() => statSync(join(configDir, 'credentials.json')));
  });

  it('logs in, storing a CLI secret (not the password) readable by its owner only', async () => {
    const run = ok(await berth(['login', server.url, '-u', 'admin', '--password-stdin'], { input: `${adminPassword}\n` }));
    assert.match(run.stdout, new RegExp(`Logged in to ${server.url} as admin \\(system administrator\\)`));
    const path = join(configDir, 'credentials.json');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { url: string; username: string; secret: string; secretId: number };
    assert.equal(stored.url, server.url);
    assert.equal(stored.username, 'admin');
    assert.match(stored.secret, /^berth_pat_/);
    assert.doesNotMatch(readFileSync(path, 'utf8'), new RegExp(adminPassword));
    assert.equal((await tokenStatus('admin', stored.secret, 'repository:x/y:pull')).status, 200);
  });

  it('creates a user, and lists users as a table and as JSON', async () => {
    ok(await berth(['user', 'create', 'alice', '--email', 'alice@example.com', '--new-password-stdin'], { input: 'alice-password\n' }));
    const table = ok(await berth(['user', 'list'])).stdout.split('\n');
    assert.match(table[0]!, /^USERNAME\s+SOURCE\s+ADMIN\s+DISABLED\s+EMAIL/);
    assert.ok(table.some((line) => /^alice\s+local\s+no\s+no\s+alice@example\.com/.test(line)), table.join('\n'));
    const users = JSON.parse(ok(await berth(['user', 'list', '--json'])).stdout) as { username: string }[];
    assert.deepEqual(users.map((user) => user.username), ['admin', 'alice']);
    assert.equal((await tokenStatus('alice', 'alice-password', 'repository:x/y:pull')).status, 200);
    fails(await berth(['user', 'create', 'alice', '--new-password-stdin'], { input: 'another-password\n' }), /a user named "alice" exists/);
    fails(await berth(['user', 'create', 'bob', '--new-password-stdin'], { input: 'short\n' }), /password needs at least 8 characters/);
  });

  it('creates a project and gives alice a role in it', async () => {
    ok(await berth(['project', 'create', 'team']));
    const added = ok(await berth(['project', 'add-member', 'team', 'alice', '--role', 'developer']));
    assert.match(added.stdout, /alice is now developer in team/);
    const members = ok(await berth(['project', 'members', 'team'])).stdout;
    assert.match(members, /^NAME\s+KIND\s+ROLE\nalice\s+user\s+developer\n$/);
    assert.deepEqual((await tokenStatus('alice', 'alice-password', 'repository:team/app:pull,push')).actions, ['pull', 'push']);
    const projects = JSON.parse(ok(await berth(['project', 'list', '--json'])).stdout) as { name: string; public: boolean }[];
    assert.deepEqual(projects.map((project) => [project.name, project.public]), [['team', false]]);
    ok(await berth(['project', 'set-public', 'team', 'on']));
    assert.match(ok(await berth(['project', 'list'])).stdout, /^team\s+yes\s+admin/m);
    fails(await berth(['project', 'add-member', 'team', 'nobody', '--role', 'guest']), /no user named "nobody"/);
  });

  it('creates a robot, printing its secret once with a warning; the secret works at the token endpoint', async () => {
    const run = ok(await berth(['robot', 'create', 'ci', '-P', 'team:pull,push', '--description', 'CI pipeline']));
    assert.match(run.stdout, /Created robot\$ci \(team:pull,push\)/);
    const secret = /^Secret: (\S+)$/m.exec(run.stdout)?.[1];
    assert.ok(secret, run.stdout);
    assert.match(run.stderr, /store this secret now/);
    assert.deepEqual(await tokenStatus('robot$ci', secret, 'repository:team/app:pull,push,delete'), { status: 200, actions: ['pull', 'push'] });
    assert.match(ok(await berth(['robot', 'list'])).stdout, /^robot\$ci\s+team:pull,push\s+never/m);
    const rotated = /^Secret: (\S+)$/m.exec(ok(await berth(['robot', 'rotate', 'robot$ci'])).stdout)?.[1];
    assert.ok(rotated && rotated !== secret);
    assert.equal((await tokenStatus('robot$ci', secret, 'repository:team/app:pull')).status, 401);
    assert.equal((await tokenStatus('robot$ci', rotated, 'repository:team/app:pull')).status, 200);
    fails(await berth(['robot', 'create', 'bad', '-P', 'nope:pull']), /project "nope" not found/);
  });

  it('manages groups and CLI secrets', async () => {
    ok(await berth(['group', 'create', 'platform']));
    ok(await berth(['group', 'add-member', 'platform', 'alice']));
    assert.match(ok(await berth(['group', 'members', 'platform'])).stdout, /^alice\s+local/m);
    fails(await berth(['group', 'create', 'ldap-devs', '--source', 'ldap']), /externalName/);
    const created = ok(await berth(['cli-secret', 'create', 'laptop', '--expires-in-days', '7']));
    const secret = /^Secret: (berth_pat_\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(secret, created.stdout);
    assert.equal((await tokenStatus('admin', secret, 'repository:team/app:pull')).status, 200);
    const listed = JSON.parse(ok(await berth(['cli-secret', 'list', '--json'])).stdout) as { id: number; name: string }[];
    const laptop = listed.find((item) => item.name === 'laptop')!;
    ok(await berth(['cli-secret', 'revoke', String(laptop.id)]));
    assert.equal((await tokenStatus('admin', secret, 'repository:team/app:pull')).status, 401);
  });

  it('lists the audit log, filtered, as a table and as JSON', async () => {
    const table = ok(await berth(['audit', '--project', 'team'])).stdout;
    assert.match(table, /^TIME\s+ACTOR\s+ACTION\s+REPOSITORY/);
    for (const action of ['project.create', 'member.set', 'robot.create', 'robot.rotate', 'project.update']) assert.match(table, new RegExp(`\\s${action.replace('.', '\\.')}\\s`));
    const events = JSON.parse(ok(await berth(['audit', '--action', 'user.create', '--json'])).stdout) as { actor: string; detail: { target: string } }[];
    assert.deepEqual(events.map((event) => [event.actor, event.detail.target]), [['admin', 'alice']]);
    const limited = JSON.parse(ok(await berth(['audit', '-n', '2', '--json'])).stdout) as unknown[];
    assert.equal(limited.length, 2);
  });

  it('exports the audit log as NDJSON to a file', async () => {
    const file = join(configDir, 'audit.jsonl');
    const run = ok(await berth(['audit', 'export', '--project', 'team'], { stdoutFile: file }));
    assert.equal(run.stderr, '');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const events = lines.map((line) => JSON.parse(line) as { id: number; repository: string; action: string });
    assert.ok(events.length >= 5);
    for (const event of events) assert.ok(event.repository === 'team' || event.repository.startsWith('team/'));
    assert.deepEqual(events.map((event) => event.id), [...events.map((event) => event.id)].sort((a, b) => b - a));
    assert.ok(events.some((event) => event.action === 'robot.create'));
  });

  it('acts as another user with -u and --password-stdin, or BERTH_USERNAME and BERTH_PASSWORD', async () => {
    fails(await berth(['user', 'list', '-u', 'alice', '--password-stdin'], { input: 'alice-password\n' }), /alice may not list users: only system administrators may/);
    const projects = JSON.parse(ok(await berth(['project', 'list', '--json'], { env: { BERTH_USERNAME: 'alice', BERTH_PASSWORD: 'alice-password' } })).stdout) as { name: string }[];
    assert.deepEqual(projects.map((project) => project.name), ['team']);
    fails(await berth(['audit'], { env: { BERTH_USERNAME: 'alice', BERTH_PASSWORD: 'alice-password' } }), /give project=<name>/);
  });

  it('says which URL it could not reach', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    fails(await berth(['user', 'list', '--url', url, '-u', 'admin'], { env: { BERTH_PASSWORD: adminPassword } }), new RegExp(`could not reach ${url.replace(/\./g, '\\.')}`));
  });

  it('logs out, revoking the stored CLI secret', async () => {
    const stored = JSON.parse(readFileSync(join(configDir, 'credentials.json'), 'utf8')) as { secret: string };
    const run = ok(await berth(['logout']));
    assert.match(run.stdout, /Logged out of/);
    assert.throws(() => statSync(join(configDir, 'credentials.json')));
    assert.equal((await tokenStatus('admin', stored.secret, 'repository:team/app:pull')).status, 401);
    fails(await berth(['user', 'list']), /berth login/);
  });
});
