/**
 * Who an OpenID Connect sign-in is: the provider's issuer and subject, not the name it sends. A rename at the
 * provider keeps the Berth user; a name the provider gives someone else later does not take the old account over.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { AuditLog } from '../../src/auth/audit-log.js';
import type { OidcClient, OidcIdentity } from '../../src/auth/oidc-client.js';
import { OidcLoginService } from '../../src/auth/oidc-login-service.js';
import { TokenService } from '../../src/auth/token-service.js';
import type { SqliteMetadataStore } from '../../src/metadata/sqlite-metadata-store.js';
import { openSqliteMetadataStore } from '../../src/metadata/open-sqlite.js';

describe('OpenID Connect sign-in identity', () => {
  let dir: string;
  let store: SqliteMetadataStore;
  let service: OidcLoginService;
  let audit: AuditLog;
  const identity = (subject: string, username: string, groups: string[] = []): OidcIdentity =>
    ({ issuer: 'https://login.example.org', subject, username, groups });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-oidc-sign-in-'));
    store = await openSqliteMetadataStore(join(dir, 'berth.db'));
    const log = pino({ level: 'silent' });
    audit = new AuditLog(store.access(), log);
    service = new OidcLoginService({
      client: {} as OidcClient, store: store.access(), tokens: TokenService.open(store.access(), { issuer: 'berth', service: 'berth', ttlSeconds: 300 }),
      audit, adminGroup: 'admins', providerName: 'Test', log,
    });
  });
  after(async () => {
    await audit.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the user on the first sign-in, bound to the provider\'s subject', async () => {
    const user = await service.signIn(identity('sub-1', 'alice', ['admins']), '10.0.0.1');
    assert.equal(user.username, 'alice');
    assert.equal(user.source, 'oidc');
    assert.equal(user.externalId, 'https://login.example.org#sub-1');
    assert.equal(user.admin, true);
  });

  it('keeps the same user when the provider renames them', async () => {
    const user = await service.signIn(identity('sub-1', 'alice.smith'), '10.0.0.1');
    assert.equal(user.username, 'alice');
    assert.equal(user.admin, false, 'no longer in the admin group');
    assert.equal(await store.access().userByName('alice.smith'), undefined);
  });

  it('refuses another subject that arrives with a name an OIDC user already has', async () => {
    await assert.rejects(service.signIn(identity('sub-2', 'alice'), '10.0.0.2'), { name: 'OidcSignInRefusedError', reason: 'name_taken' });
  });

  it('refuses a name held by a local user', async () => {
    await store.access().createUser({ username: 'bob', source: 'local', admin: false, now: Date.now() });
    await assert.rejects(service.signIn(identity('sub-3', 'bob'), '10.0.0.3'), /A local user named "bob" already exists/);
  });
});
