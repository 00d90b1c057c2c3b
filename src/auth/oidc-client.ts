import * as openid from 'openid-client';
import { IdentityProviderUnavailableError, OidcLoginError } from './oidc-errors.js';
import type { OidcConfig } from '../config/oidc-config.js';

/**
 * Berth's side of an OpenID Connect login (authorization code flow with PKCE), over openid-client, which checks
 * the provider's answers: the issuer, the state, the ID token's signature, audience, expiry and nonce, the
 * userinfo subject. This file adds what Berth needs on top: one cached discovery, errors worded for the person
 * logging in or the operator, and the mapping from claims to a Berth identity.
 *
 * Key Berth accounts by `issuer` and `subject`: the provider promises those never change or get reused, while a
 * username (from `preferred_username` by default) may be renamed at the provider.
 */
export interface OidcIdentity {
  subject: string;
  issuer: string;
  username: string;
  email?: string;
  displayName?: string;
  groups: string[];
}

/** What beginLogin hands out; the caller keeps state, nonce and codeVerifier (server side) until the callback. */
export interface OidcLoginStart {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface OidcLoginExpectation {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

export { IdentityProviderUnavailableError, OidcLoginError, type OidcLoginFailure } from './oidc-errors.js';

const maxUsernameLength = 256;
/** C0/C1 controls and line/paragraph separators; ':' because Basic auth splits username and password at it. */
const forbiddenInUsername = /[\p{Cc}\u2028\u2029:]/u;

const startAgain = 'Start the login again.';

export class OidcClient {
  readonly #config: OidcConfig;
  /** The discovered provider, or the discovery in flight; unset again when it fails, so the next use retries. */
  #configuration: Promise<openid.Configuration> | undefined;

  /** Discovers nothing yet: the first login does, so Berth starts while the provider is down. */
  constructor(config: OidcConfig) {
    this.#config = config;
  }

  /** Discovers the provider now (to report a wrong issuer at start-up), keeping the result for logins. */
  static async discover(config: OidcConfig): Promise<OidcClient> {
    const client = new OidcClient(config);
    await client.#provider();
    return client;
  }

  /** The provider's authorization URL to send the browser to, with a fresh state, nonce and PKCE verifier. */
  async beginLogin(redirectUri: string): Promise<OidcLoginStart> {
    // openid-client sends the token endpoint the callback URL stripped of its whole query as redirect_uri, so a
    // redirect URI with a query of its own could never match the one registered.
    const parsed = new URL(redirectUri);
    if (parsed.search !== '' || parsed.hash !== '') {
      throw new TypeError(`the OpenID redirect URI must have no query or fragment: ${redirectUri}`);
    }
    const configuration = await this.#provider();
    const codeVerifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const nonce = openid.randomNonce();
    // PKCE is sent even to providers that do not announce S256: it is ignored where unsupported, and state plus
    // nonce still protect the login there.
    const url = openid.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: this.#config.scopes.join(' '),
      response_type: 'code',
      code_challenge: await openid.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, codeVerifier };
  }

  /**
   * Finishes the login the provider redirected back to `callbackUrl` (the full URL, or its path and query), and
   * returns who logged in. Throws OidcLoginError when the login cannot complete, and
   * IdentityProviderUnavailableError when the provider cannot be reached.
   */
  async completeLogin(callbackUrl: string | URL, expected: OidcLoginExpectation): Promise<OidcIdentity> {
    const received = new URL(callbackUrl, expected.redirectUri).searchParams;

    // Checked here before openid-client checks them again, to say precisely what went wrong.
    if (received.get('state') !== expected.state) {
      throw new OidcLoginError('state_mismatch',
        `This login response does not belong to the login in progress (it may come from an older tab or an earlier attempt). ${startAgain}`);
    }
    const providerError = received.get('error');
    if (providerError !== null) throw refusedByProvider(providerError, received.get('error_description'));
    if (received.get('code') === null) {
      throw new OidcLoginError('invalid_response', `The identity provider sent no authorization code back. ${startAgain}`);
    }

    // openid-client takes the redirect_uri it sends with the code from the URL it is given, so the callback's
    // parameters are put on the redirect URI used at the start: the URL the request arrived at may differ (a
    // proxy in front, another host name), and the token endpoint insists on the exact one.
    const current = new URL(expected.redirectUri);
    current.search = received.toString();
    const configuration = await this.#provider();

    const issuer = this.#config.issuer;
    let tokens: Awaited<ReturnType<typeof openid.authorizationCodeGrant>>;
    try {
      tokens = await openid.authorizationCodeGrant(configuration, current, {
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        pkceCodeVerifier: expected.codeVerifier,
        idTokenExpected: true,
      });
    } catch (error) {
      throw loginFailure(issuer, 'exchanging the login code', error);
    }
    const idToken = tokens.claims();
    if (idToken === undefined) {
      throw new OidcLoginError('invalid_response', `The identity provider returned no ID token. ${startAgain}`);
    }

    let claims: Record<string, unknown> = { ...idToken };
    const { usernameClaim, groupsClaim } = this.#config;
    // Providers differ in which claims they put in the ID token; many keep profile claims and groups for userinfo
    // (as the spec suggests when an access token is issued). Ask only when a claim Berth needs is missing.
    if ((!(usernameClaim in idToken) || !(groupsClaim in idToken))
      && configuration.serverMetadata().userinfo_endpoint !== undefined) {
      try {
        const userinfo = await openid.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
        // The ID token's values win: they are signed, userinfo's arrive only over TLS.
        claims = { ...userinfo, ...idToken };
      } catch (error) {
        throw loginFailure(issuer, 'reading the user\'s details (userinfo)', error);
      }
    }

    const email = typeof claims.email === 'string' && claims.email !== '' ? claims.email : undefined;
    const displayName = typeof claims.name === 'string' && claims.name !== '' ? claims.name : undefined;
    return {
      subject: idToken.sub,
      issuer: idToken.iss,
      username: chooseUsername(claims, usernameClaim),
      ...(email !== undefined ? { email } : {}),
      ...(displayName !== undefined ? { displayName } : {}),
      groups: normaliseGroups(claims[groupsClaim]),
    };
  }

  /** The discovered provider: discovered once and shared, and discovered again after a failure. */
  #provider(): Promise<openid.Configuration> {
    if (this.#configuration !== undefined) return this.#configuration;
    const attempt = this.#discoverProvider();
    this.#configuration = attempt;
    attempt.catch(() => {
      if (this.#configuration === attempt) this.#configuration = undefined;
    });
    return attempt;
  }

  async #discoverProvider(): Promise<openid.Configuration> {
    const { issuer, clientId, clientSecret, timeoutSeconds } = this.#config;
    const url = new URL(issuer);
    try {
      return await openid.discovery(url, clientId, undefined, openid.ClientSecretBasic(clientSecret), {
        timeout: timeoutSeconds,
        // The schema accepts http:// only for a provider on this machine (config/oidc-config.ts).
        ...(url.protocol === 'http:' ? { execute: [openid.allowInsecureRequests] } : {}),
      });
    } catch (error) {
      const mismatch = error instanceof openid.ClientError && error.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON';
      throw new IdentityProviderUnavailableError(issuer, mismatch
        ? `The OpenID provider at ${issuer} announces a different issuer; set oidc.issuer to exactly the "issuer" in ${discoveryUrl(issuer)}.`
        : `Could not reach the OpenID provider ${issuer} (${describe(error)}). Check oidc.issuer and that ${discoveryUrl(issuer)} answers; Berth tries again at the next login.`,
      { cause: error });
    }
  }
}

function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

function refusedByProvider(error: string, description: string | null): OidcLoginError {
  const detail = description !== null && description !== '' ? `${error}: ${description}` : error;
  const next = error === 'access_denied'
    ? 'If that was a mistake, start the login again; if you are refused again, ask an administrator for access.'
    : startAgain;
  return new OidcLoginError('provider_error', `The identity provider did not log you in (${detail}). ${next}`);
}

/** Turns what openid-client threw while talking to the provider into one of our two errors. */
function loginFailure(issuer: string, doing: string, error: unknown): Error {
  if (isUnreachable(error)) {
    return new IdentityProviderUnavailableError(issuer,
      `The OpenID provider ${issuer} did not answer while ${doing} (${describe(error)}). Try again in a moment.`, { cause: error });
  }
  if (error instanceof openid.ResponseBodyError) {
    const detail = error.error_description !== undefined ? `${error.error}: ${error.error_description}` : error.error;
    if (error.error === 'invalid_grant') {
      return new OidcLoginError('code_rejected',
        `The identity provider refused the login code (${detail}): it was already used, has expired, or belongs to another login. ${startAgain}`,
        { cause: error });
    }
    if (error.error === 'invalid_client' || error.error === 'unauthorized_client') {
      return new OidcLoginError('client_rejected',
        `The identity provider refused Berth's client credentials (${detail}). An administrator must check oidc.clientId and oidc.clientSecret.`,
        { cause: error });
    }
    return new OidcLoginError('invalid_response', `The identity provider refused the login while ${doing} (${detail}). ${startAgain}`, { cause: error });
  }
  if (error instanceof openid.ClientError || error instanceof openid.WWWAuthenticateChallengeError
    || error instanceof openid.AuthorizationResponseError) {
    return new OidcLoginError('invalid_response',
      `The identity provider's answer failed validation while ${doing} (${describe(error)}). ${startAgain}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Network failures, timeouts, and a server answering 5xx: the provider's trouble, worth retrying later. */
function isUnreachable(error: unknown): boolean {
  // undici's fetch rejects with this TypeError for refused connections, DNS failures and resets.
  if (error instanceof TypeError && error.message === 'fetch failed') return true;
  if (error instanceof openid.ResponseBodyError) return error.status >= 500;
  if (error instanceof openid.ClientError) {
    if (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT') return true;
    // A non-JSON or unexpected-status answer carries the Response as its cause.
    const { cause } = error;
    return cause instanceof Response && cause.status >= 500;
  }
  return false;
}

/** The error's message with the more specific messages of its causes (openid-client wraps generic over specific). */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current instanceof Error && parts.length < 4; current = current.cause) {
    if (!parts.includes(current.message)) parts.push(current.message);
  }
  if (error instanceof openid.ClientError && error.cause instanceof Response) parts.push(`HTTP ${error.cause.status}`);
  return parts.length > 0 ? parts.join(': ') : String(error);
}

/**
 * The username: the configured claim; when the provider sends none, `email` (unless marked unverified, since a
 * user could then claim someone else's address) and then `sub`, which every ID token has. A claim that is there
 * but unusable refuses the login rather than falling back, so one person cannot end up with two names.
 */
function chooseUsername(claims: Record<string, unknown>, usernameClaim: string): string {
  const configured = claims[usernameClaim];
  if (configured !== undefined && configured !== null) return checkUsername(configured, usernameClaim);
  if (typeof claims.email === 'string' && claims.email !== '' && claims.email_verified !== false) {
    return checkUsername(claims.email, 'email');
  }
  return checkUsername(claims.sub, 'sub');
}

function checkUsername(value: unknown, claim: string): string {
  const refuse = (why: string) => new OidcLoginError('unusable_username',
    `Your account's "${claim}" at the identity provider ${why}, so it cannot be a Berth username. Ask an administrator to change it there or to set oidc.usernameClaim to another claim.`);
  if (typeof value !== 'string') throw refuse('is not text');
  if (value === '') throw refuse('is empty');
  if ([...value].length > maxUsernameLength) throw refuse(`is longer than ${maxUsernameLength} characters`);
  if (forbiddenInUsername.test(value)) throw refuse('contains a \':\' or a control character');
  return value;
}

/** A groups claim is an array of strings, or one string for a single group; anything else in it is ignored. */
function normaliseGroups(value: unknown): string[] {
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  const groups = items.filter((item): item is string => typeof item === 'string' && item !== '');
  return [...new Set(groups)];
}
