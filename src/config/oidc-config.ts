import { z } from 'zod';

/** Hosts on which a plain-http issuer is accepted: only this machine, where nothing travels over a network. */
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

function issuerProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected the issuer URL, for example https://login.example.com/realms/berth';
  }
  // The issuer is compared character for character with the one the provider announces, and ID tokens name it:
  // a query or fragment can never match, so it is a typo (often a copied login page URL).
  if (url.search !== '' || url.hash !== '') return 'the issuer URL must not have a query (?...) or fragment (#...)';
  if (url.protocol === 'https:') return undefined;
  // The code, the client secret and the tokens cross this connection, so plain http is refused except on loopback
  // (a provider on the same host, as in development and tests).
  if (url.protocol === 'http:') {
    return loopbackHosts.has(url.hostname) || url.hostname.startsWith('127.')
      ? undefined
      : 'the issuer must use https:// (plain http:// is accepted only for localhost)';
  }
  return 'the issuer must be an https:// URL';
}

/** An OAuth scope token (RFC 6749 section 3.3): printable ASCII without space, double quote or backslash. */
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Login through an OpenID Connect provider (Keycloak, Dex, Entra ID, Google, ...), with the authorization code
 * flow and PKCE. Register Berth at the provider as a confidential web client whose redirect URI is Berth's login
 * callback; the provider must accept `client_secret_basic` at its token endpoint (the OpenID default).
 *
 * Which user someone is: `usernameClaim`, looked up in the ID token and then the userinfo response. When the
 * provider sends no such claim, Berth falls back to `email` (unless the provider marks it `email_verified: false`)
 * and then to `sub`, so every login yields a name; a claim that is present but unusable (empty, over 256
 * characters, with control characters or ':') refuses the login instead of falling back, since a silently
 * different name would be a different user.
 */
export const oidcConfigSchema = z.object({
  /** The provider's issuer identifier; `<issuer>/.well-known/openid-configuration` must answer. */
  issuer: z.string({ required_error: 'set oidc.issuer to the provider\'s issuer URL, for example https://login.example.com/realms/berth' })
    .superRefine((value, context) => {
      const problem = issuerProblem(value);
      if (problem !== undefined) context.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
  clientId: z.string({ required_error: 'set oidc.clientId to the client ID the provider gave Berth' })
    .min(1, 'oidc.clientId must not be empty'),
  clientSecret: z.string({ required_error: 'set oidc.clientSecret to the client secret the provider gave Berth' })
    .min(1, 'oidc.clientSecret must not be empty'),
  /** Scopes asked for; `openid` makes it an OpenID Connect login (an ID token) rather than plain OAuth. */
  scopes: z.array(z.string().regex(scopeToken, 'each scope is one word, without spaces or quotes'))
    .default(['openid', 'profile', 'email'])
    .refine((scopes) => scopes.includes('openid'), { message: 'oidc.scopes must include "openid"' }),
  /** The claim whose value becomes the Berth username (see the fallback above). */
  usernameClaim: z.string().min(1, 'oidc.usernameClaim must name a claim').default('preferred_username'),
  /** The claim listing the user's groups: an array of strings, or one string. Many providers need a scope for it. */
  groupsClaim: z.string().min(1, 'oidc.groupsClaim must name a claim').default('groups'),
  /** Members of this provider group are Berth system administrators; unset, no one becomes one through OIDC. */
  adminGroup: z.string().min(1, 'oidc.adminGroup must not be empty (leave it out to grant no one)').optional(),
  /** The login button's label: "Sign in with <displayName>". */
  displayName: z.string().min(1).max(100).default('OpenID Connect'),
  /** How long each request to the provider (discovery, token, userinfo, keys) may take. */
  timeoutSeconds: z.number().int().positive().max(300).default(10),
}).strict();

export type OidcConfig = z.infer<typeof oidcConfigSchema>;
