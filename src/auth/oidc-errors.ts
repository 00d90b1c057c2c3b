/**
 * The errors of an OpenID Connect sign-in, apart from the client that throws them, so that code which only tells
 * them apart (the HTTP routes) does not load openid-client: it is loaded only when OIDC is configured.
 */

/** The provider could not be reached or answered like a server in trouble; nothing the user did is at fault. */
export class IdentityProviderUnavailableError extends Error {
  readonly issuer: string;
  constructor(issuer: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityProviderUnavailableError';
    this.issuer = issuer;
  }
}

export type OidcLoginFailure =
  /** The callback belongs to no login we started (state mismatch): stale tab, second login, forged link. */
  | 'state_mismatch'
  /** The provider redirected back with `?error=` (the user cancelled, or the provider refused them). */
  | 'provider_error'
  /** The token endpoint refused the code: used already, expired, or issued for another login. */
  | 'code_rejected'
  /** The token endpoint refused Berth itself (client ID or secret): an operator must fix the configuration. */
  | 'client_rejected'
  /** An answer failed validation (ID token, nonce, issuer, userinfo) or was malformed. */
  | 'invalid_response'
  /** The login worked but yields no username Berth can use. */
  | 'unusable_username';

/** A login that cannot complete; the message says what happened and what to do next. */
export class OidcLoginError extends Error {
  readonly reason: OidcLoginFailure;
  constructor(reason: OidcLoginFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcLoginError';
    this.reason = reason;
  }
}
