import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { freePort } from './free-port.js';

/**
 * A real OpenID Provider (panva's oidc-provider, the certified implementation) for the login tests, run in this
 * process on 127.0.0.1 over plain http. Its development interactions stand in for a login page: they accept any
 * password for a known login name and ask for consent, which test/support/oidc-login-driver.ts fills in with fetch.
 */
export interface OidcProviderHandle {
  /** `http://127.0.0.1:<port>`: no path and no trailing slash, as the provider announces it in discovery. */
  readonly issuer: string;
  stop(): Promise<void>;
}

export interface OidcTestUser {
  email?: string;
  name?: string;
  groups?: string[];
}

export interface OidcProviderOptions {
  /** Confidential clients, authenticating at the token endpoint with client_secret_basic. */
  clients: { clientId: string; clientSecret: string; redirectUris: string[] }[];
  /** Accounts by login name; the name is also the subject (`sub`) and `preferred_username`. */
  users: Record<string, OidcTestUser>;
  /**
   * Put the scope-requested claims (name, email, groups, ...) only in the userinfo response, as OpenID Connect
   * says a provider should when it also issues an access token, instead of in the ID token too. Many real
   * providers behave either way, so the client is tested against both. Default false.
   */
  claimsOnlyFromUserinfo?: boolean;
  /** Listen on this port rather than a free one (to bring a provider up where a client already looks). */
  port?: number;
}

/** The subset of oidc-provider's class these tests use (the package ships no type declarations). */
interface ProviderInstance {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
  proxy: boolean;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProviderHandle> {
  // Imported here rather than at the top so that merely loading this file (a test that skips) neither pays for
  // Koa nor prints the package's warning that Node 20 is not a supported runtime (it wants 22+, but runs fine).
  // @ts-expect-error -- oidc-provider has no bundled types and @types/oidc-provider is not a dependency.
  const { default: Provider } = (await import('oidc-provider')) as { default: ProviderConstructor };

  const port = options.port ?? await freePort();
  const issuer = `http://127.0.0.1:${port}`;

  // Our own signing key and cookie keys, so the provider does not fall back to (and warn about) its published
  // development key, and cookies are signed as they would be in production.
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Scope → claims it releases. `groups` is not a standard scope; providers that send groups usually need one
    // asked for (Keycloak's client scope, Dex's `groups`), so the tests exercise that too.
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // false: claims granted through scopes go into the ID token as well, not only to userinfo.
    conformIdTokenClaims: options.claimsOnlyFromUserinfo ?? false,
    features: {
      // The package's built-in login and consent pages (on by default; named here since the tests rely on them).
      devInteractions: { enabled: true },
    },
    async findAccount(_context: unknown, accountId: string) {
      const user = Object.hasOwn(options.users, accountId) ? options.users[accountId] : undefined;
      // An unknown login name has no account. The dev login page takes any name, so the provider only notices
      // when it resumes the login and fails it (500 server_error), which the login driver reports.
      if (user === undefined) return undefined;
      return {
        accountId,
        // The provider keeps only the claims the granted scopes (and the ID token / userinfo rule) release.
        async claims() {
          return {
            sub: accountId,
            preferred_username: accountId,
            ...(user.name !== undefined ? { name: user.name } : {}),
            ...(user.email !== undefined ? { email: user.email, email_verified: true } : {}),
            groups: user.groups ?? [],
          };
        },
      };
    },
    // Fixed lifetimes: the defaults are fine but each prints a notice asking to be set.
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    // Errors as JSON instead of the HTML page, so the login driver can quote them when a step fails.
    async renderError(context: { type: string; body: unknown }, out: Record<string, string>) {
      context.type = 'json';
      context.body = out;
    },
  });
  // Nothing sits in front of this provider, so X-Forwarded-* must not be trusted (Koa's default, stated here as
  // the one setting that matters for plain http: with no proxy, the issuer's own http:// scheme is what it uses,
  // and its cookies are not marked Secure, which a fetch over http could not send back).
  provider.proxy = false;

  const server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

  return {
    issuer,
    async stop() {
      // fetch keeps connections alive; close them, or close() would wait for their idle timeout.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
