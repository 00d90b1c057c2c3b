import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { passwordVerifications } from '../../src/auth/passwords.js';
import { startInProcess, type InProcessBerth } from '../support/in-process.js';
import { startSlapd, type Slapd } from '../support/slapd.js';
import { basic } from '../support/basic-auth.js';

const adminPassword = 'admin-password-1';


/**
 * A failed login must not tell, by the work it costs, whether the username exists: every password login runs exactly
 * one argon2 verification, against the user's hash or a dummy one. Counted here rather than timed, so the test says
 * the same on a busy machine.
 */
describe('logins spend the same password-checking work whether or not the user exists', () => {
  let slapd: Slapd;
  let server: InProcessBerth;

  before(async () => {
    slapd = await startSlapd();
    server = await startInProcess({
      auth: {
        adminPassword,
        ldap: {
          url: slapd.url, startTLS: true, tls: { caFile: slapd.caFile }, bindDN: slapd.bindDN, bindPassword: slapd.bindPassword,
          userBaseDN: `ou=people,${slapd.baseDN}`, groupBaseDN: `ou=groups,${slapd.baseDN}`,
        },
      },
    });
    const store = server.berth.access.store;
    await store.createUser({ username: 'olivia', source: 'oidc', externalId: 'https://idp.example#olivia', admin: false, now: Date.now() });
    const created = await fetch(`${server.url}/api/v1/users`, {
      method: 'POST', headers: { authorization: basic('admin', adminPassword), 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'leaver', password: 'leaver-password' }),
    });
    assert.equal(created.status, 201);
    const disabled = await fetch(`${server.url}/api/v1/users/leaver`, {
      method: 'PATCH', headers: { authorization: basic('admin', adminPassword), 'content-type': 'application/json' },
      body: JSON.stringify({ disabled: true }),
    });
    assert.equal(disabled.status, 200);
  });
  after(async () => {
    await server?.close();
    await slapd?.stop();
  });

  /** Calls the API with Basic credentials; answers the status, the error message and the argon2 verifications it cost. */
  async function login(username: string, password: string): Promise<{ status: number; message: string; verifications: number }> {
    const before = passwordVerifications();
    const response = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: basic(username, password) } });
    const body = await response.json() as { errors?: { message: string }[] };
    return { status: response.status, message: body.errors?.[0]?.message ?? '', verifications: passwordVerifications() - before };
  }

  it('checks a password for a username nobody has, as for a local user with a wrong password', async () => {
    const unknown = await login('no-such-user', 'some-password-1');
    const wrong = await login('admin', 'some-password-1');
    assert.deepEqual([unknown.status, wrong.status], [401, 401]);
    assert.equal(unknown.message, wrong.message, 'the answers are the same');
    assert.equal(unknown.verifications, 1);
    assert.equal(wrong.verifications, 1);
  });

  it('tells only someone who knows the password that an account is disabled', async () => {
    const wrong = await login('leaver', 'some-password-1');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.verifications, 1);
    assert.doesNotMatch(wrong.message, /disabled/);
    assert.equal(wrong.message, (await login('no-such-user-2', 'some-password-1')).message);
    const right = await login('leaver', 'leaver-password');
    assert.equal(right.status, 401);
    assert.equal(right.verifications, 1);
    assert.match(right.message, /disabled/);
  });

  it('checks a password for a user who signs in through OpenID Connect, then says how they log in', async () => {
    const result = await login('olivia', 'some-password-1');
    assert.equal(result.status, 401);
    assert.equal(result.verifications, 1);
    assert.match(result.message, /signs in through OpenID Connect/);
  });

  it('checks a password alongside the directory for a directory user, right or wrong', async () => {
    const wrong = await login('alice', 'not-alice-secret');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.verifications, 1);
    const right = await login('alice', 'alice-secret');
    assert.equal(right.status, 200);
    assert.equal(right.verifications, 1);
  });

  it('finds a directory user again whatever case their name is typed in, without making a second user', async () => {
    assert.equal((await login('ALICE', 'alice-secret')).status, 200);
    assert.equal((await login('Alice', 'alice-secret')).status, 200);
    const store = server.berth.access.store;
    const users = (await store.listUsers({ limit: 100 })).map((user) => user.username).filter((name) => name.toLowerCase() === 'alice');
    assert.deepEqual(users, ['alice']);
  });
});
