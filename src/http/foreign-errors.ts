import { InvalidTokenError } from '../auth/token-service.js';
import { BadAuthorizationError } from '../auth/access-control.js';
import { IdentityProviderUnavailableError, OidcLoginError } from '../auth/oidc-errors.js';
import { OidcSignInRefusedError } from '../auth/oidc-login-service.js';
import { ScopeError } from '../auth/scope.js';
import { StorageFullError } from '../errors/backend-errors.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { RegistryError, type ErrorContext } from '../errors/registry-error.js';

interface Translation {
  readonly matches: (error: Error) => boolean;
  readonly code: ErrorCode;
  /** The error's own message goes to the client (auth's are written for it); otherwise the catalog's. */
  readonly ownMessage: boolean;
  readonly detail?: (error: Error) => unknown;
  readonly context?: ErrorContext;
  /** Logged beyond the debug line every refusal gets: what an operator should see. */
  readonly log?: { readonly level: 'warn' | 'error'; readonly message: string };
}

const reasonOf = (error: Error): unknown => ({ reason: (error as OidcLoginError | OidcSignInRefusedError).reason });

/**
 * The errors other layers throw in types of their own, each mapped here, once, to the catalog code it is answered
 * with: auth stays free of HTTP, and no handler catches one to translate it.
 */
const translations: readonly Translation[] = [
  { matches: (error) => error instanceof InvalidTokenError || error instanceof BadAuthorizationError, code: 'UNAUTHORIZED', ownMessage: true,
    context: { credentials: 'invalid_token' }, log: { level: 'warn', message: 'refused credentials' } },
  { matches: (error) => error instanceof ScopeError, code: 'SCOPE_INVALID', ownMessage: true,
    log: { level: 'warn', message: 'token request with an invalid scope refused' } },
  // Matched by name: ldap-directory.ts loads the LDAP client, which only a configured directory needs.
  { matches: (error) => error.name === 'DirectoryUnavailableError', code: 'UNAVAILABLE', ownMessage: true,
    log: { level: 'error', message: 'the LDAP directory is unavailable' } },
  { matches: (error) => error instanceof IdentityProviderUnavailableError, code: 'UNAVAILABLE', ownMessage: true,
    detail: () => ({ reason: 'provider_unavailable' }), log: { level: 'warn', message: 'the identity provider is unavailable' } },
  { matches: (error) => error instanceof OidcLoginError, code: 'SIGN_IN_FAILED', ownMessage: true, detail: reasonOf },
  { matches: (error) => error instanceof OidcSignInRefusedError, code: 'DENIED', ownMessage: true, detail: reasonOf },
  // The disk's message names the system call, not what to do: the catalog's says that.
  { matches: (error) => error instanceof StorageFullError, code: 'STORAGE_FULL', ownMessage: false,
    log: { level: 'error', message: 'blob storage is full: free space or grow the volume' } },
];

export interface Translated {
  readonly error: RegistryError;
  readonly log: Translation['log'];
}

/** The RegistryError a foreign error is answered with, or undefined for one this table does not know (UNKNOWN). */
export function translateForeignError(error: Error): Translated | undefined {
  const translation = translations.find((entry) => entry.matches(error));
  if (translation === undefined) return undefined;
  return {
    error: new RegistryError(translation.code, translation.ownMessage ? error.message : undefined, translation.detail?.(error), translation.context),
    log: translation.log,
  };
}
