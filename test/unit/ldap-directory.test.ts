import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DirectoryUnavailableError, LdapDirectory, escapeFilterValue } from '../../src/auth/ldap-directory.js';
import { ldapConfigSchema, type LdapConfig } from '../../src/config/ldap-config.js';
import { freePort } from '../support/free-port.js';
import { startSlapd, userDN, type Slapd } from '../support/slapd.js';

const groupDN = (name: string): string => `cn=${name},ou=groups,dc=example,dc=org`;

/**
 * Client-side connections to a loopback port still established, read from /proc/net/tcp (both ends of a loopback
 * connection are listed; the client's is the one whose remote port is the server's).
 */
function establishedTo(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).filter((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[2]?.endsWith(`:${hexPort}`) && fields[3] === '01';
  }).length;
}

describe('LdapDirectory against OpenLDAP', () => {
  let slapd: Slapd;
  let configure: (overrides?: Record<string, unknown>) => LdapConfig;

  before(async () => {
    slapd = await startSlapd();
    configure = (overrides = {}) => ldapConfigSchema.parse({
      url: slapd.url,
      bindDN: slapd.bindDN,
      bindPassword: slapd.bindPassword,
      userBaseDN: `ou=people,${slapd.baseDN}`,
      groupBaseDN: `ou=groups,${slapd.baseDN}`,
      ...overrides,
    });
  });

  after(async () => {
    await slapd?.stop();
  });

  /** Every call leaves no connection behind, whatever its outcome. */
  async function assertNoConnectionsLeft(url = slapd.url): Promise<void> {
    const port = Number(new URL(url).port);
    for (let attempt = 0; establishedTo(port) > 0; attempt++) {
      if (attempt > 40) assert.fail(`${establishedTo(port)} connection(s) to ${url} left open`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('logs a user in with e-mail, display name and groups', async () => {
    const user = await new LdapDirectory(configure()).authenticate('alice', 'alice-secret');
    assert.deepEqual(user, {
      dn: userDN('alice'),
      username: 'alice',
      email: 'alice@example.org',
      displayName: 'Alice Example',
      groups: [{ dn: groupDN('developers'), name: 'developers' }, { dn: groupDN('everyone'), name: 'everyone' }],
    });
    const carol = await new LdapDirectory(configure()).authenticate('carol', 'carol-secret');
    assert.deepEqual(carol?.groups.map((group) => group.name), ['everyone', 'registry-admins']);
    await assertNoConnectionsLeft();
  });

  it('looks up no groups without groupBaseDN', async () => {
    const config = configure();
    delete (config as { groupBaseDN?: string }).groupBaseDN;
    const user = await new LdapDirectory(config).authenticate('bob', 'bob-secret');
    assert.equal(user?.username, 'bob');
    assert.deepEqual(user?.groups, []);
  });

  it('fills {username} in the group filter too', async () => {
    const directory = new LdapDirectory(configure({ groupFilter: '(&(objectClass=groupOfNames)(member=uid={username},ou=people,dc=example,dc=org))' }));
    const user = await directory.authenticate('DAVE', 'dave-secret');
    assert.deepEqual(user?.groups, [{ dn: groupDN('everyone'), name: 'everyone' }]);
  });

  it('refuses a wrong password, another user\'s password and an unknown user', async () => {
    const directory = new LdapDirectory(configure());
    assert.equal(await directory.authenticate('alice', 'wrong'), undefined);
    assert.equal(await directory.authenticate('alice', 'bob-secret'), undefined);
    assert.equal(await directory.authenticate('mallory', 'alice-secret'), undefined);
    assert.equal(await directory.authenticate('mallory', 'mallory-secret'), undefined);
    await assertNoConnectionsLeft();
  });

  it('refuses an empty password without asking the server', async () => {
    assert.equal(await new LdapDirectory(configure()).authenticate('alice', ''), undefined);
    // Proof that nothing was sent: against a port where nothing listens, a request would fail loudly.
    const nowhere = new LdapDirectory(configure({ url: `ldap://127.0.0.1:${await freePort()}` }));
    assert.equal(await nowhere.authenticate('alice', ''), undefined);
  });

  it('refuses unusable user names without asking the server', async () => {
    const nowhere = new LdapDirectory(configure({ url: `ldap://127.0.0.1:${await freePort()}` }));
    for (const username of ['', 'a'.repeat(257), 'alice\u0000', 'alice\n', 'ali\u0007ce', 'alice\u0085']) {
      assert.equal(await nowhere.authenticate(username, 'alice-secret'), undefined, JSON.stringify(username));
    }
    // 256 characters is still a name: this one reaches the server, and fails there.
    await assert.rejects(nowhere.authenticate('a'.repeat(256), 'alice-secret'), DirectoryUnavailableError);
  });

  it('treats filter syntax in a user name as plain characters', async () => {
    const directory = new LdapDirectory(configure());
    const attempts = ['*', 'alice)(uid=*', '*)(|(uid=*', 'alice*', 'al\\2a', 'al\\2a\\63e', 'alice)', '(uid=alice)', 'al*ce',
      "$'", '$`', '$&', '{username}', '{dn}', 'alice\\', 'alice)(|(objectClass=*)'];
    for (const username of attempts) {
      assert.equal(await directory.authenticate(username, 'alice-secret'), undefined, username);
    }
    await assertNoConnectionsLeft();
  });

  it('maps a name typed in another case to the directory\'s spelling', async () => {
    const user = await new LdapDirectory(configure()).authenticate('ALICE', 'alice-secret');
    assert.equal(user?.username, 'alice');
    assert.equal(user?.dn, userDN('alice'));
    assert.equal((await new LdapDirectory(configure()).authenticate('Bob', 'bob-secret'))?.username, 'bob');
  });

  it('refuses a login the filter does not pin to one entry', async () => {
    // Matches every person: even the right password must not pick one of them.
    const directory = new LdapDirectory(configure({ userFilter: '(|(uid={username})(objectClass=inetOrgPerson))' }));
    assert.equal(await directory.authenticate('alice', 'alice-secret'), undefined);
  });

  it('answers DirectoryUnavailableError, naming the bind DN, when the service account is refused', async () => {
    const directory = new LdapDirectory(configure({ bindPassword: 'not-the-secret' }));
    await assert.rejects(directory.authenticate('alice', 'alice-secret'), (error: Error) => {
      assert.ok(error instanceof DirectoryUnavailableError);
      assert.match(error.message, /cn=berth,ou=services,dc=example,dc=org/);
      assert.match(error.message, /bindPassword/);
      assert.doesNotMatch(error.message, /not-the-secret/);
      return true;
    });
    await assertNoConnectionsLeft();
  });

  it('answers DirectoryUnavailableError when nothing listens', async () => {
    const url = `ldap://127.0.0.1:${await freePort()}`;
    await assert.rejects(new LdapDirectory(configure({ url })).authenticate('alice', 'alice-secret'), (error: Error) => {
      assert.ok(error instanceof DirectoryUnavailableError);
      assert.equal(error.url, url);
      assert.match(error.message, /could not reach LDAP server/);
      assert.match(error.message, new RegExp(url));
      return true;
    });
  });

  it('gives up on a server that accepts connections but never answers', async () => {
    // A black hole, as behind a firewall that drops replies or on a port some other service holds.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `ldap://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const started = Date.now();
      await assert.rejects(new LdapDirectory(configure({ url, timeoutSeconds: 0.3 })).authenticate('alice', 'alice-secret'),
        (error: Error) => error instanceof DirectoryUnavailableError && /could not reach/.test(error.message));
      assert.ok(Date.now() - started < 3000);
      await assertNoConnectionsLeft(url);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('answers DirectoryUnavailableError when the user base does not exist', async () => {
    const directory = new LdapDirectory(configure({ userBaseDN: 'ou=nobody,dc=example,dc=org' }));
    await assert.rejects(directory.authenticate('alice', 'alice-secret'), (error: Error) =>
      error instanceof DirectoryUnavailableError && /userBaseDN/.test(error.message));
  });

  it('logs in over StartTLS with the CA file', async (t) => {
    if (!slapd.caFile) return t.skip('slapd runs without TLS');
    const directory = new LdapDirectory(configure({ startTLS: true, tls: { caFile: slapd.caFile } }));
    assert.equal((await directory.authenticate('alice', 'alice-secret'))?.username, 'alice');
    assert.equal(await directory.authenticate('alice', 'wrong'), undefined);
    await assertNoConnectionsLeft();
  });

  it('refuses StartTLS to a certificate it cannot verify', async (t) => {
    if (!slapd.caFile) return t.skip('slapd runs without TLS');
    const directory = new LdapDirectory(configure({ startTLS: true }));
    await assert.rejects(directory.authenticate('alice', 'alice-secret'), (error: Error) => {
      assert.ok(error instanceof DirectoryUnavailableError);
      assert.match(error.message, /TLS with LDAP server/);
      assert.match(error.message, /caFile/);
      return true;
    });
    await assertNoConnectionsLeft();
  });

  it('logs in over ldaps:// with the CA file, and refuses it without', async (t) => {
    if (!slapd.ldapsUrl || !slapd.caFile) return t.skip('slapd runs without TLS');
    const good = new LdapDirectory(configure({ url: slapd.ldapsUrl, tls: { caFile: slapd.caFile } }));
    assert.equal((await good.authenticate('carol', 'carol-secret'))?.username, 'carol');
    const unverified = new LdapDirectory(configure({ url: slapd.ldapsUrl }));
    await assert.rejects(unverified.authenticate('carol', 'carol-secret'), (error: Error) =>
      error instanceof DirectoryUnavailableError && /TLS with LDAP server/.test(error.message));
    await assertNoConnectionsLeft(slapd.ldapsUrl);
  });

  it('answers DirectoryUnavailableError when the CA file cannot be read', async (t) => {
    if (!slapd.caFile) return t.skip('slapd runs without TLS');
    const directory = new LdapDirectory(configure({ startTLS: true, tls: { caFile: `${slapd.caFile}.missing` } }));
    await assert.rejects(directory.authenticate('alice', 'alice-secret'), (error: Error) =>
      error instanceof DirectoryUnavailableError && /tls\.caFile/.test(error.message));
  });

  it('ends connections of calls in progress on close()', async () => {
    const directory = new LdapDirectory(configure());
    const login = directory.authenticate('alice', 'alice-secret');
    await directory.close();
    // Closed before or after its first request: either outcome is fine, as long as nothing stays open.
    await login.catch((error: unknown) => assert.ok(error instanceof DirectoryUnavailableError));
    await assertNoConnectionsLeft();
  });
});

describe('escapeFilterValue', () => {
  it('escapes the filter\'s special characters and control characters', () => {
    assert.equal(escapeFilterValue('alice'), 'alice');
    assert.equal(escapeFilterValue('*)(|(uid=*'), '\\2a\\29\\28|\\28uid=\\2a');
    assert.equal(escapeFilterValue('al\\2a'), 'al\\5c2a');
    assert.equal(escapeFilterValue('a\u0000b\u001fc\u007f'), 'a\\00b\\1fc\\7f');
    // Beyond ASCII is left as UTF-8, which RFC 4515 allows (and ldapts would mangle as \xx).
    assert.equal(escapeFilterValue('zoë'), 'zoë');
  });
});

describe('ldapConfigSchema', () => {
  const minimal = { url: 'ldaps://ldap.example.com', bindDN: 'cn=berth,dc=example,dc=com', bindPassword: 's', userBaseDN: 'dc=example,dc=com' };

  it('fills the defaults', () => {
    const config = ldapConfigSchema.parse(minimal);
    assert.equal(config.userFilter, '(&(objectClass=inetOrgPerson)(uid={username}))');
    assert.equal(config.groupFilter, '(&(objectClass=groupOfNames)(member={dn}))');
    assert.equal(config.groupBaseDN, undefined);
    assert.deepEqual(config.tls, { rejectUnauthorized: true });
    assert.equal(config.startTLS, false);
    assert.equal(config.timeoutSeconds, 10);
    assert.deepEqual([config.usernameAttribute, config.emailAttribute, config.displayNameAttribute, config.groupNameAttribute],
      ['uid', 'mail', 'cn', 'cn']);
  });

  it('takes an Active Directory set-up', () => {
    const config = ldapConfigSchema.parse({ ...minimal, userFilter: '(sAMAccountName={username})', usernameAttribute: 'sAMAccountName',
      groupBaseDN: 'OU=Groups,DC=example,DC=com', groupFilter: '(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={dn}))' });
    assert.equal(config.usernameAttribute, 'sAMAccountName');
  });

  it('tells the operator what to write', () => {
    const message = (input: object): string => {
      const result = ldapConfigSchema.safeParse(input);
      assert.equal(result.success, false);
      return result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
    };
    assert.match(message({ ...minimal, url: 'http://ldap.example.com' }), /url: expected ldap:\/\/HOST/);
    assert.match(message({ ...minimal, url: 'ldap://ldap.example.com/dc=example' }), /url: expected/);
    assert.match(message({ ...minimal, bindPassword: '' }), /bindPassword: .*anonymous/);
    assert.match(message({ ...minimal, userFilter: '(uid=alice)' }), /must contain \{username\}/);
    assert.match(message({ ...minimal, userFilter: 'uid={username}' }), /in parentheses/);
    assert.match(message({ ...minimal, userFilter: '(uid={username}))(' }), /in parentheses/);
    assert.match(message({ ...minimal, groupFilter: '(objectClass=group)' }), /\{dn\} or \{username\}/);
    assert.match(message({ ...minimal, startTLS: true }), /startTLS: .*ldaps:\/\/ connection is encrypted already/);
    assert.match(message({ ...minimal, url: 'ldap://ldap.example.com', tls: { caFile: '/ca.pem' } }), /tls\.caFile: .*not encrypted/);
    assert.match(message({ ...minimal, bindDn: 'x' }), /Unrecognized key/);
    assert.match(message({ ...minimal, tls: { ca: '/ca.pem' } }), /Unrecognized key/);
  });
});
