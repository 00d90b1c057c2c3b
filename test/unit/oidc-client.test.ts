import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  IdentityProviderUnavailableError, OidcClient, OidcLoginError, type OidcLoginFailure,
} from '../../src/auth/oidc-client.js';
import { oidcConfigSchema, type OidcConfig } from '../../src/config/oidc-config.js';
import { freePort } from '../support/free-port.js';
import { abortOidcLogin, completeOidcLogin } from '../support/oidc-login-driver.js';
import { startOidcProvider, type OidcProviderHandle, type OidcProviderOptions } from '../support/oidc-provider.js';

// Berth's callback; nothing needs to listen there, since the driver returns the redirect without following it.
const redirectUri = 'http://127.0.0.1:5000/auth/oidc/callback';
const client = { clientId: 'berth', clientSecret: 'berth-test-secret', redirectUris: [redirectUri] };
const users: OidcProviderOptions['users'] = {
  alice: { email: 'alice@example.com', name: 'Alice Liddell', groups: ['developers'] },
  carol: { email: 'carol@example.com', name: 'Carol Ops', groups: ['registry-admins'] },
  // Valid at the provider, but ':' would break Basic auth's "username:password".
  'dave:ops': { groups: [] },
};

function configFor(issuer: string, overrides: Partial<OidcConfig> = {}): OidcConfig {
  return oidcConfigSchema.parse({
    issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    scopes: ['openid', 'profile', 'email', 'groups'],
    ...overrides,
  });
}

function loginRefused(reason: OidcLoginFailure, message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof OidcLoginError, `expected an OidcLoginError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, message);
    return true;
  };
}

describe('OpenID Connect client against a real provider', () => {
  let provider: OidcProviderHandle;
  let oidc: OidcClient;

  before(async () => {
    provider = await startOidcProvider({ clients: [client], users });
    oidc = await OidcClient.discover(configFor(provider.issuer));
  });
  after(() => provider?.stop());

  it('logs in with the code flow and returns username, email, name and groups', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const callback = await completeOidcLogin(start.url, 'alice');
    assert.ok(callback.startsWith(`${redirectUri}?`), callback);
    assert.equal(new URL(callback).searchParams.get('state'), start.state);

    const identity = await oidc.completeLogin(callback, { ...start, redirectUri });
    assert.deepEqual(identity, {
      subject: 'alice',
      issuer: provider.issuer,
      username: 'alice',
      email: 'alice@example.com',
      displayName: 'Alice Liddell',
      groups: ['developers'],
    });
  });

  it('gives each user their own groups', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const identity = await oidc.completeLogin(await completeOidcLogin(start.url, 'carol'), { ...start, redirectUri });
    assert.equal(identity.username, 'carol');
    assert.deepEqual(identity.groups, ['registry-admins']);
  });

  it('asks for the configured scopes with PKCE S256, a state and a nonce', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const url = new URL(start.url);
    assert.equal(url.origin, provider.issuer);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(url.searchParams.get('code_challenge'), start.codeVerifier);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('scope'), 'openid profile email groups');
    assert.equal(url.searchParams.get('redirect_uri'), redirectUri);
    assert.equal(url.searchParams.get('state'), start.state);
    assert.equal(url.searchParams.get('nonce'), start.nonce);
    const again = await oidc.beginLogin(redirectUri);
    assert.notEqual(again.state, start.state);
    assert.notEqual(again.nonce, start.nonce);
    assert.notEqual(again.codeVerifier, start.codeVerifier);
  });

  it('refuses a callback whose state is not the login\'s', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const callback = await completeOidcLogin(start.url, 'alice');
    await assert.rejects(oidc.completeLogin(callback, { ...start, state: 'another-login', redirectUri }),
      loginRefused('state_mismatch', /start the login again/i));
  });

  it('refuses a code used twice', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const callback = await completeOidcLogin(start.url, 'alice');
    await oidc.completeLogin(callback, { ...start, redirectUri });
    await assert.rejects(oidc.completeLogin(callback, { ...start, redirectUri }),
      loginRefused('code_rejected', /invalid_grant.*already used.*start the login again/is));
  });

  it('refuses an ID token whose nonce is not the login\'s', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const callback = await completeOidcLogin(start.url, 'alice');
    await assert.rejects(oidc.completeLogin(callback, { ...start, nonce: 'another-nonce', redirectUri }),
      loginRefused('invalid_response', /nonce/));
  });

  it('refuses an error redirect from the provider', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const callback = `${redirectUri}?error=access_denied&state=${encodeURIComponent(start.state)}`;
    await assert.rejects(oidc.completeLogin(callback, { ...start, redirectUri }),
      loginRefused('provider_error', /access_denied.*start the login again/i));
  });

  it('refuses a login the user cancelled at the provider', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const callback = await abortOidcLogin(start.url);
    assert.equal(new URL(callback).searchParams.get('error'), 'access_denied');
    await assert.rejects(oidc.completeLogin(callback, { ...start, redirectUri }),
      loginRefused('provider_error', /access_denied: End-User aborted interaction/));
  });

  it('refuses a username Basic auth cannot carry', async () => {
    const start = await oidc.beginLogin(redirectUri);
    const callback = await completeOidcLogin(start.url, 'dave:ops');
    await assert.rejects(oidc.completeLogin(callback, { ...start, redirectUri }),
      loginRefused('unusable_username', /"preferred_username".*':'.*oidc\.usernameClaim/));
  });

  it('takes the username from another claim when configured', async () => {
    const byEmail = new OidcClient(configFor(provider.issuer, { usernameClaim: 'email' }));
    const start = await byEmail.beginLogin(redirectUri);
    const identity = await byEmail.completeLogin(await completeOidcLogin(start.url, 'alice'), { ...start, redirectUri });
    assert.equal(identity.username, 'alice@example.com');
    assert.equal(identity.subject, 'alice');
  });

  it('has no groups when the groups scope is not asked for', async () => {
    const noGroups = new OidcClient(configFor(provider.issuer, { scopes: ['openid', 'profile', 'email'] }));
    const start = await noGroups.beginLogin(redirectUri);
    const identity = await noGroups.completeLogin(await completeOidcLogin(start.url, 'carol'), { ...start, redirectUri });
    assert.equal(identity.username, 'carol');
    assert.deepEqual(identity.groups, []);
  });
});

describe('OpenID Connect client against a provider that keeps claims for userinfo', () => {
  let provider: OidcProviderHandle;
  before(async () => {
    provider = await startOidcProvider({ clients: [client], users, claimsOnlyFromUserinfo: true });
  });
  after(() => provider?.stop());

  it('reads username, email and groups from userinfo', async () => {
    const oidc = new OidcClient(configFor(provider.issuer));
    const start = await oidc.beginLogin(redirectUri);
    const identity = await oidc.completeLogin(await completeOidcLogin(start.url, 'carol'), { ...start, redirectUri });
    assert.deepEqual(identity, {
      subject: 'carol',
      issuer: provider.issuer,
      username: 'carol',
      email: 'carol@example.com',
      displayName: 'Carol Ops',
      groups: ['registry-admins'],
    });
  });
});

describe('OpenID Connect provider out of reach', () => {
  it('names the issuer it could not reach', async () => {
    const issuer = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(OidcClient.discover(configFor(issuer)), (error: unknown) => {
      assert.ok(error instanceof IdentityProviderUnavailableError, String(error));
      assert.equal(error.issuer, issuer);
      assert.match(error.message, new RegExp(`Could not reach the OpenID provider ${issuer}.*ECONNREFUSED`));
      return true;
    });
  });

  it('discovers again at the next login once the provider is up', async () => {
    const port = await freePort();
    const oidc = new OidcClient(configFor(`http://127.0.0.1:${port}`));
    await assert.rejects(oidc.beginLogin(redirectUri), IdentityProviderUnavailableError);
    const provider = await startOidcProvider({ clients: [client], users, port });
    try {
      const start = await oidc.beginLogin(redirectUri);
      const identity = await oidc.completeLogin(await completeOidcLogin(start.url, 'alice'), { ...start, redirectUri });
      assert.equal(identity.username, 'alice');
    } finally {
      await provider.stop();
    }
  });
});

describe('OpenID Connect configuration', () => {
  const minimal = { issuer: 'https://login.example.com/realms/berth', clientId: 'berth', clientSecret: 's' };

  it('fills in defaults', () => {
    assert.deepEqual(oidcConfigSchema.parse(minimal), {
      ...minimal,
      scopes: ['openid', 'profile', 'email'],
      usernameClaim: 'preferred_username',
      groupsClaim: 'groups',
      displayName: 'OpenID Connect',
      timeoutSeconds: 10,
    });
  });

  it('explains what is wrong', () => {
    const problems = (input: unknown) => {
      const result = oidcConfigSchema.safeParse(input);
      assert.equal(result.success, false);
      return result.error!.issues.map((issue) => issue.message).join('\n');
    };
    assert.match(problems({ ...minimal, scopes: ['profile'] }), /must include "openid"/);
    assert.match(problems({ ...minimal, issuer: 'http://login.example.com' }), /https:\/\/.*localhost/);
    assert.match(problems({ ...minimal, issuer: 'https://login.example.com/?realm=x' }), /query/);
    assert.match(problems({ ...minimal, issuer: 'login.example.com' }), /expected the issuer URL/);
    assert.match(problems({ issuer: minimal.issuer, clientSecret: 's' }), /set oidc\.clientId/);
    assert.match(problems({ ...minimal, scopes: ['openid', 'a b'] }), /one word/);
    assert.match(problems({ ...minimal, clientSecretFile: '/x' }), /clientSecretFile/);
    assert.equal(oidcConfigSchema.parse({ ...minimal, issuer: 'http://127.0.0.1:8080' }).issuer, 'http://127.0.0.1:8080');
    assert.equal(oidcConfigSchema.parse({ ...minimal, issuer: 'http://localhost:8080' }).issuer, 'http://localhost:8080');
  });
});
