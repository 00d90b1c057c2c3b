/**
 * Hostile and malformed credentials: bearer tokens that are garbage, unsigned, signed by another key, expired, or
 * meant for another audience; Basic headers that are not base64 or lack a colon; scope strings crafted to confuse
 * the parser; usernames with control characters. Each is refused with a clear error, logged, and (for logins)
 * audited, and none grants anything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SignJWT, generateKeyPair } from 'jose';
import { pino } from 'pino';
import { after, before, describe, it } from 'node:test';
import { createBerth, type Berth } from '../../src/app.js';
import { configSchema } from '../../src/config/config-schema.js';
import { AccessFixtures, basic, fetchToken, pushImage } from '../support/access-fixtures.js';

const adminPassword = 'admin-password';
let berth: Berth;
let url: string;
let dataDir: string;
const logLines: Record<string, unknown>[] = [];

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-hostile-'));
  const sink = new Writable({ write(chunk, _encoding, done) { logLines.push(JSON.parse(String(chunk))); done(); } });
  berth = await createBerth(configSchema.parse({ listen: '127.0.0.1:0', dataDir, auth: { adminPassword } }), pino({ level: 'info' }, sink));
  url = `http://127.0.0.1:${(await berth.listen()).port}`;
  const fixtures = new AccessFixtures(berth);
  await fixtures.project('team', false);
  await fixtures.user('dev', 'dev-password');
  await fixtures.role('team', 'dev', 'developer');
  await pushImage(url, 'team/app', 'v1', basic('admin', adminPassword));
});

after(async () => {
  await berth?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const manifestUrl = (): string => `${url}/v2/team/app/manifests/v1`;

async function assertInvalidToken(token: string, why: RegExp): Promise<void> {
  const response = await fetch(manifestUrl(), { headers: { authorization: `Bearer ${token}` } });
  const body = await response.json() as { errors: { code: string; message: string }[] };
  assert.equal(response.status, 401, JSON.stringify(body));
  assert.equal(body.errors[0]!.code, 'UNAUTHORIZED');
  assert.match(body.errors[0]!.message, why);
  assert.match(response.headers.get('www-authenticate')!, /error="invalid_token"/);
}

/** A token with the claims Berth's own carry, granting everything on team/app, signed by someone else's key. */
async function forgedToken(options: { expired?: boolean; audience?: string } = {}): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete'] }], berth: { kind: 'user', id: 1, admin: true } })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer('berth').setAudience(options.audience ?? 'berth').setSubject('admin')
    .setIssuedAt(now).setExpirationTime(options.expired ? now - 600 : now + 300)
    .sign(privateKey);
}

describe('hostile bearer tokens', () => {
  it('refuses garbage, truncated and oversized tokens', async () => {
    await assertInvalidToken('abc', /malformed/);
    await assertInvalidToken('a.b.c', /malformed/);
    const good = await fetchToken(url, ['repository:team/app:pull'], basic('dev', 'dev-password'));
    await assertInvalidToken(good.slice(0, -5), /not signed by this registry|malformed/);
    await assertInvalidToken('x'.repeat(12_000), /too long/);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({
      iss: 'berth', aud: 'berth', sub: 'admin', exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000),
      access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }],
    })).toString('base64url');
    await assertInvalidToken(`${header}.${payload}.`, /algorithm|malformed/);
  });

  it('refuses a token signed by another key, even with every claim right', async () => {
    await assertInvalidToken(await forgedToken(), /not signed by this registry/);
  });

  it('refuses an expired token of its own', async () => {
    const expired = await berth.access.tokens.issue({ kind: 'user', id: 1, username: 'admin', source: 'local', admin: true, groupIds: [] },
      [{ type: 'repository', name: 'team/app', actions: ['pull'] }], Date.now() - 3600_000);
    await assertInvalidToken(expired.token, /expired/);
  });

  it('refuses a session cookie token used as a registry token', async () => {
    const session = await berth.access.tokens.issueSession({ id: 1, username: 'admin' });
    await assertInvalidToken(session.token, /aud/);
  });

  it('logs each refusal with the reason and the address', () => {
    const refusals = logLines.filter((line) => line.msg === 'refused credentials');
    assert.ok(refusals.length >= 6, `${refusals.length} refusals logged`);
    assert.ok(refusals.every((line) => typeof line.reason === 'string' && line.address === '127.0.0.1'));
  });
});

describe('hostile Basic credentials', () => {
  it('refuses a header that is not base64, lacks a colon, or uses an unknown scheme', async () => {
    for (const authorization of ['Basic !!!notbase64', `Basic ${Buffer.from('nocolon').toString('base64')}`, 'Digest username="x"', 'Basic']) {
      const response = await fetch(manifestUrl(), { headers: { authorization } });
      assert.equal(response.status, 401, authorization);
      const body = await response.json() as { errors: { code: string; message: string }[] };
      assert.equal(body.errors[0]!.code, 'UNAUTHORIZED');
      assert.ok(body.errors[0]!.message.length > 20, body.errors[0]!.message);
    }
  });

  it('refuses a username with control characters and audits it with the characters made harmless', async () => {
    const response = await fetch(`${url}/auth/token?service=berth`, { headers: { authorization: basic('dev\nadmin', 'dev-password') } });
    assert.equal(response.status, 401);
    await berth.access.audit.flush();
    const events = await berth.access.store.queryAudit({ limit: 50, action: 'login.failed' });
    const event = events.find((e) => e.actor === 'dev?admin');
    assert.ok(event, JSON.stringify(events.map((e) => e.actor)));
    assert.equal(event.outcome, 'failed');
  });

  it('gives a wrong password and an unknown user the same answer', async () => {
    const wrong = await fetch(`${url}/auth/token?service=berth`, { headers: { authorization: basic('dev', 'nope-nope') } });
    const unknown = await fetch(`${url}/auth/token?service=berth`, { headers: { authorization: basic('nobody', 'nope-nope') } });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(await wrong.json(), await unknown.json());
  });
});

describe('crafted scopes', () => {
  const cases = [
    'repository:team/app:pull\nrepository:other/app:push',
    'repository:team/app",service="evil:pull',
    'repository:../etc/passwd:pull',
    'repository:TEAM/app:pull',
    'repository:team/app:pull,admin',
    'repository:team/app:',
    'repository::pull',
    'registry:catalog:pull',
    'plugin:team/app:pull',
    'repositorypull',
    `repository:${'a'.repeat(2000)}:pull`,
  ];
  for (const scope of cases) {
    it(`refuses ${JSON.stringify(scope.slice(0, 60))} with SCOPE_INVALID`, async () => {
      const response = await fetch(`${url}/auth/token?service=berth&scope=${encodeURIComponent(scope)}`, {
        headers: { authorization: basic('dev', 'dev-password') },
      });
      const body = await response.json() as { errors: { code: string; message: string }[] };
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(body.errors[0]!.code, 'SCOPE_INVALID');
      assert.doesNotMatch(body.errors[0]!.message, /\n/, 'client text cannot break the message into lines');
    });
  }

  it('refuses a request for more than 100 resources', async () => {
    const scopes = Array.from({ length: 101 }, (_, i) => `scope=repository:team/app${i}:pull`).join('&');
    const response = await fetch(`${url}/auth/token?service=berth&${scopes}`);
    assert.equal(response.status, 400);
  });

  it('refuses a token for another service', async () => {
    const response = await fetch(`${url}/auth/token?service=other&scope=repository:team/app:pull`);
    assert.equal(response.status, 400);
    assert.match((await response.json() as { errors: { message: string }[] }).errors[0]!.message, /service "berth"/);
  });

  it('logs invalid scopes', () => {
    assert.ok(logLines.some((line) => line.msg === 'token request with an invalid scope refused'));
  });

  it('never widens a grant through duplicates or wildcards', async () => {
    const token = await fetchToken(url, ['repository:team/app:pull', 'repository:team/app:*', 'repository:other/app:*'], basic('dev', 'dev-password'));
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: unknown };
    assert.deepEqual(claims.access, [
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'other/app', actions: [] },
    ]);
  });
});

describe('brute-force protection', () => {
  it('refuses an account after too many failures, even with the right password, and says how long to wait', async () => {
    const fixtures = new AccessFixtures(berth);
    await fixtures.user('target', 'right-password');
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${url}/auth/token?service=berth`, { headers: { authorization: basic('target', `wrong-${i}`) } });
      assert.equal(response.status, 401);
    }
    const locked = await fetch(`${url}/auth/token?service=berth`, { headers: { authorization: basic('target', 'right-password') } });
    assert.equal(locked.status, 429);
    assert.equal(locked.headers.get('retry-after'), '900');
    const body = await locked.json() as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, 'TOOMANYREQUESTS');
    assert.match(body.errors[0]!.message, /too many failed logins for this account: wait/);
    await berth.access.audit.flush();
    const audited = await berth.access.store.queryAudit({ limit: 20, actor: 'target' });
    assert.ok(audited.some((e) => e.outcome === 'denied' && (e.detail as { reason?: string }).reason === 'rate-limited'));
    assert.equal(audited.filter((e) => e.action === 'login.failed' && e.outcome === 'failed').length, 10);
    // Another account from the same address is unaffected (the address limit is higher).
    assert.equal((await fetch(`${url}/auth/token?service=berth`, { headers: { authorization: basic('dev', 'dev-password') } })).status, 200);
  });
});

describe('the token endpoint\'s refusals', () => {
  it('says how to authenticate on a 401, as HTTP asks', async () => {
    const response = await fetch(`${url}/auth/token?service=berth`, { headers: { authorization: basic('nobody-at-all', 'nope-nope') } });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Basic realm="berth"');
  });

  it('names a missing grant_type', async () => {
    const response = await fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a&password=b' });
    assert.equal(response.status, 400);
    const body = await response.json() as { error: string; error_description: string };
    assert.equal(body.error, 'unsupported_grant_type');
    assert.match(body.error_description, /grant_type is missing/);
  });
});
